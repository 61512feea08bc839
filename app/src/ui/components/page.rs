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

/// A secret the server shows once (an API token, a signing secret, an
/// enrollment token): what it is, the value to copy, and how to use it.
#[component]
pub fn SecretOnce(
    /// "Copy this token now — it will not be shown again."
    heading: &'static str,
    value: String,
    /// `data-testid` of the box; the value's is `<testid>-value`.
    testid: &'static str,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="alert alert-success" role="status" data-testid=testid>
            <p><strong>{heading}</strong></p>
            <p><code class="secret-once" data-testid=format!("{testid}-value")>{value}</code></p>
            {children.map(|usage| view! { <p class="muted">{usage()}</p> })}
        </div>
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
