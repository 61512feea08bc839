//! Keeping a page on live work current once it is hydrated (UI.md §5: poll
//! after hydration; before it, the page offers a Refresh link).

use std::time::Duration;

use leptos::prelude::*;

/// How often pages on running work refetch.
pub const REFRESH_EVERY: Duration = Duration::from_secs(2);

/// Refetches `resource` every [`REFRESH_EVERY`] while `active` holds for its
/// latest value. Runs in the browser only (effects do not run on the server).
pub fn refresh_while<T>(resource: Resource<T>, active: impl Fn(&T) -> bool + 'static)
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
{
    // Read in an effect (not in the timer), as resources want after hydration.
    let live = RwSignal::new(false);
    Effect::new(move |_| live.set(resource.get().is_some_and(|value| active(&value))));
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || {
                if live.get_untracked() {
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
