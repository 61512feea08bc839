//! Keeping a page on live work current once it is hydrated: it refetches
//! when the live feed brings an event about its object, and polls only while
//! the feed is not carrying events (not open yet, reconnecting, or a person
//! who hears only their unread count). Before hydration the page offers a
//! Refresh link (UI.md §5).

use std::time::Duration;

use leptos::prelude::*;

use crate::error::AppError;
use crate::ui::components::live::{LiveEvent, use_live_feed};

/// How often pages on running work refetch.
pub const REFRESH_EVERY: Duration = Duration::from_secs(2);

/// While `active` holds for the latest value of `resource`, refetches it
/// when the live feed brings an event that `concerns` it, or every
/// [`REFRESH_EVERY`] while the feed carries no events. A refetch that failed
/// for a passing reason (the server busy or out of reach) keeps the page
/// live, so one bad answer does not freeze a page on running work; a missing
/// or forbidden object stops it. Runs in the browser only (effects do not
/// run on the server).
pub fn refresh_while<V>(
    resource: Resource<Result<V, AppError>>,
    active: impl Fn(&V) -> bool + 'static,
    concerns: impl Fn(&LiveEvent) -> bool + 'static,
) where
    V: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
{
    follow(resource, active, concerns, false);
}

/// [`refresh_while`] for a page that also shows measurements that are not
/// events (a switch's traffic samples): it keeps sampling every
/// [`REFRESH_EVERY`] while active, and refetches at once on its events.
pub fn refresh_while_sampling<V>(
    resource: Resource<Result<V, AppError>>,
    active: impl Fn(&V) -> bool + 'static,
    concerns: impl Fn(&LiveEvent) -> bool + 'static,
) where
    V: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
{
    follow(resource, active, concerns, true);
}

fn follow<V>(
    resource: Resource<Result<V, AppError>>,
    active: impl Fn(&V) -> bool + 'static,
    concerns: impl Fn(&LiveEvent) -> bool + 'static,
    always_poll: bool,
) where
    V: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
{
    // Read in an effect (not in the timer), as resources want after hydration.
    let live = RwSignal::new(false);
    Effect::new(move |_| {
        live.set(resource.get().is_some_and(|loaded| match &loaded {
            Ok(value) => active(value),
            Err(error) => keeps_polling(error),
        }))
    });
    let feed = use_live_feed();
    Effect::new(move |_| {
        let heard = feed.and_then(|f| f.last.get());
        if let Some(event) = heard
            && live.get_untracked()
            && concerns(&event)
        {
            resource.refetch();
        }
    });
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || {
                let feed_carries = feed.is_some_and(|f| f.carries_events.get_untracked());
                if live.get_untracked() && (always_poll || !feed_carries) {
                    resource.refetch();
                }
            },
            REFRESH_EVERY,
        )
        .ok();
        on_cleanup(move || {
            if let Some(handle) = handle {
                handle.clear();
            }
        });
    });
}

/// Whether a page on running work keeps polling after this failed refetch.
pub fn keeps_polling(error: &AppError) -> bool {
    !matches!(
        error,
        AppError::NotFound | AppError::Forbidden | AppError::Unauthenticated
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passing_failure_keeps_the_page_live_and_a_missing_object_stops_it() {
        assert!(keeps_polling(&AppError::Internal));
        assert!(keeps_polling(&AppError::Transport("reset".into())));
        assert!(!keeps_polling(&AppError::NotFound));
        assert!(!keeps_polling(&AppError::Unauthenticated));
    }
}
