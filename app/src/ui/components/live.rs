//! The portal's live feed in the browser: one server-sent-events stream per
//! page load (`/api/v1/events/stream`), opened by the shell once hydrated.
//! The inbox badge follows its unread count; pages on in-flight work refetch
//! when an event about their object arrives instead of polling.

use leptos::prelude::*;

use crate::model::events::EventRecord;

/// One event from the feed, as pages match it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LiveEvent {
    pub event_type: String,
    pub resource_id: Option<String>,
    /// A change's rollout, when the change belongs to one.
    pub rollout_id: Option<String>,
}

impl LiveEvent {
    /// Reads the `data` of an `event: event` message.
    pub fn parse(data: &str) -> Option<Self> {
        let record: EventRecord = serde_json::from_str(data).ok()?;
        Some(Self {
            rollout_id: record.data["state"]["rollout_id"]
                .as_str()
                .map(str::to_owned),
            event_type: record.event_type,
            resource_id: record.resource_id,
        })
    }

    /// Whether the event is about the object with this id (a change, a
    /// rollout or a change of it, a deployment).
    pub fn is_about(&self, id: &str) -> bool {
        self.resource_id.as_deref() == Some(id) || self.rollout_id.as_deref() == Some(id)
    }
}

/// What the shell's feed has heard.
#[derive(Clone, Copy)]
pub struct LiveFeed {
    /// The unread notification count, once the feed has said it.
    pub unread: RwSignal<Option<u64>>,
    /// The latest event.
    pub last: RwSignal<Option<LiveEvent>>,
    /// The feed is open and carries events for this person (some people
    /// only hear their unread count); pages poll while it does not.
    pub carries_events: RwSignal<bool>,
}

/// Creates the feed for the shell and its pages, and opens it once the page
/// is hydrated.
pub fn provide_live_feed() -> LiveFeed {
    let feed = LiveFeed {
        unread: RwSignal::new(None),
        last: RwSignal::new(None),
        carries_events: RwSignal::new(false),
    };
    provide_context(feed);
    open(feed);
    feed
}

pub fn use_live_feed() -> Option<LiveFeed> {
    use_context::<LiveFeed>()
}

#[cfg(feature = "hydrate")]
fn open(feed: LiveFeed) {
    use wasm_bindgen::{JsCast, closure::Closure};
    Effect::new(move |_| {
        let Ok(source) = web_sys::EventSource::new("/api/v1/events/stream") else {
            return;
        };
        let listen = |name: &str, handler: Box<dyn FnMut(web_sys::MessageEvent)>| {
            let callback = Closure::<dyn FnMut(web_sys::MessageEvent)>::wrap(handler);
            let _ =
                source.add_event_listener_with_callback(name, callback.as_ref().unchecked_ref());
            // The feed lives as long as the page.
            callback.forget();
        };
        listen(
            "hello",
            Box::new(move |e: web_sys::MessageEvent| {
                feed.carries_events
                    .set(e.data().as_string().as_deref() == Some("events"));
            }),
        );
        listen(
            "unread",
            Box::new(move |e: web_sys::MessageEvent| {
                if let Some(n) = e.data().as_string().and_then(|t| t.parse::<u64>().ok()) {
                    feed.unread.set(Some(n));
                }
            }),
        );
        listen(
            "event",
            Box::new(move |e: web_sys::MessageEvent| {
                if let Some(event) = e.data().as_string().and_then(|t| LiveEvent::parse(&t)) {
                    feed.last.set(Some(event));
                }
            }),
        );
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
            // The browser reconnects; until it has, pages poll.
            feed.carries_events.set(false);
        });
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        std::mem::forget(source);
    });
}

#[cfg(not(feature = "hydrate"))]
fn open(_feed: LiveFeed) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_of_a_rollout_is_about_the_change_and_the_rollout() {
        let data = r#"{"id":"6f1c1c8e-8d47-4a39-9a57-0d3f3c7e2a11","type":"change.step_finished","version":1,
            "sequence":7,"occurred_at":"2026-12-07T10:00:00Z","tenant_id":null,"tenant_sequence":null,
            "correlation_id":null,"actor":"executor","resource_type":"change","resource_id":"c-1",
            "data":{"state":{"rollout_id":"r-9","status":"running"}}}"#;
        let event = LiveEvent::parse(data).unwrap();
        assert_eq!(event.event_type, "change.step_finished");
        assert!(event.is_about("c-1"));
        assert!(event.is_about("r-9"));
        assert!(!event.is_about("c-2"));
        assert_eq!(LiveEvent::parse("not json"), None);
    }
}
