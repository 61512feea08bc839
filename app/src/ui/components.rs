//! Reusable widgets shared by every screen.

pub mod badge;
pub mod chart;
pub mod form;
pub mod live;
pub mod page;
pub mod pager;
pub mod progress;
pub mod refresh;
pub mod time;
pub mod url;
