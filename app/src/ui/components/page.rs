use leptos::prelude::*;
use leptos_meta::Title;

/// One `h1` per page, an optional one-line description, and the document title.
#[component]
pub fn PageHeader(
    title: &'static str,
    #[prop(optional)] description: Option<&'static str>,
) -> impl IntoView {
    view! {
        <Title text=title/>
        <header class="page-header">
            <h1>{title}</h1>
            {description.map(|d| view! { <p class="page-description">{d}</p> })}
        </header>
    }
}

/// An inline alert: the message in words, the tone reinforcing it.
#[component]
pub fn Alert(tone: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class=format!("alert alert-{tone}") role=if tone == "danger" { "alert" } else { "status" }>
            {children()}
        </div>
    }
}
