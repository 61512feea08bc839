//! Development outbox: with no SMTP server configured, emails are written to
//! a folder instead of being sent; this page shows them, so invitations and
//! password resets can be followed on a laptop. It does not exist with SMTP.

use leptos::prelude::*;

use crate::api::access::users::list_outbox;
use crate::error::AppError;
use crate::ui::components::page::{Alert, PageHeader};

#[component]
pub fn OutboxPage() -> impl IntoView {
    let messages = Resource::new(|| (), |_| list_outbox());
    view! {
        <PageHeader title="Development outbox" description="Emails written to the local outbox folder because no SMTP server is configured (TENANTRY_SMTP_HOST)."/>
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Reading the outbox…"</p> }>
            {move || Suspend::new(async move {
                match messages.await {
                    Ok(list) if list.is_empty() => view! {
                        <section class="card empty-state" data-testid="outbox-empty">
                            <h2>"No emails yet"</h2>
                            <p class="muted">"Invitations and password resets will appear here."</p>
                        </section>
                    }.into_any(),
                    Ok(list) => view! {
                        <div class="stack">
                            {list.into_iter().map(|m| view! {
                                <article class="card outbox-message" data-testid="outbox-message">
                                    <h2>{m.subject}</h2>
                                    <p class="muted">"To " <strong data-testid="outbox-to">{m.to}</strong> " · " {m.date} " · " <code>{m.file_name}</code></p>
                                    <pre class="email-body">{linkify(&m.body)}</pre>
                                </article>
                            }).collect_view()}
                        </div>
                    }.into_any(),
                    Err(AppError::NotFound) => view! {
                        <Alert tone="info">"Email is sent over SMTP on this installation; there is no local outbox."</Alert>
                    }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The body with its http(s) links clickable (and nothing else interpreted).
fn linkify(body: &str) -> impl IntoView + use<> {
    body.split_inclusive(char::is_whitespace)
        .map(|word| {
            let trimmed = word.trim_end();
            if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
                let rest = word[trimmed.len()..].to_owned();
                view! { <a href=trimmed.to_owned() data-testid="outbox-link">{trimmed.to_owned()}</a>{rest} }.into_any()
            } else {
                word.to_owned().into_any()
            }
        })
        .collect_view()
}
