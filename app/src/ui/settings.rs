pub mod api_tokens_page;
