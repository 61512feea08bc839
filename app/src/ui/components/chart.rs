//! Server-rendered SVG charts: visible before hydration and in print.

use leptos::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: u64,
    pub tone_class: &'static str,
}

/// Horizontal bars with direct labels and counts, plus the data as a table.
#[component]
pub fn HorizontalBarChart(
    #[prop(into)] labelled_by: String,
    description: String,
    bars: Vec<Bar>,
) -> impl IntoView {
    let row_height = 28.0;
    let label_width = 120.0;
    let chart_width = 480.0;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1) as f64;
    let height = (bars.len() as f64 * row_height).max(row_height);
    let rows = bars.clone();
    view! {
        <svg
            class="chart"
            viewBox=format!("0 0 {} {}", label_width + chart_width + 60.0, height)
            role="img"
            aria-labelledby=labelled_by
        >
            <desc>{description}</desc>
            {bars
                .into_iter()
                .enumerate()
                .map(|(i, bar)| {
                    let y = i as f64 * row_height;
                    let width = (bar.value as f64 / max) * chart_width;
                    view! {
                        <g class=bar.tone_class>
                            <text class="chart-label" x="0" y=y + 18.0>{bar.label.clone()}</text>
                            <rect class="chart-bar" x=label_width y=y + 6.0 width=width.max(2.0) height="16" rx="3"></rect>
                            <text class="chart-value" x=label_width + width.max(2.0) + 8.0 y=y + 18.0>{bar.value}</text>
                        </g>
                    }
                })
                .collect_view()}
        </svg>
        <details class="chart-data">
            <summary>"Show data"</summary>
            <table class="table table-compact">
                <thead><tr><th scope="col">"Label"</th><th scope="col" class="num">"Count"</th></tr></thead>
                <tbody>
                    {rows.into_iter().map(|b| view! { <tr><td>{b.label}</td><td class="num">{b.value}</td></tr> }).collect_view()}
                </tbody>
            </table>
        </details>
    }
}

/// One point of a percentage line.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub label: String,
    pub value: f64,
}

/// A 0–100 % line over time (e.g. compliance trend), with its data as a table.
#[component]
pub fn PercentLineChart(
    #[prop(into)] labelled_by: String,
    description: String,
    points: Vec<Point>,
) -> impl IntoView {
    let (left, top, width, height) = (44.0, 10.0, 640.0, 160.0);
    let step = if points.len() > 1 {
        width / (points.len() - 1) as f64
    } else {
        0.0
    };
    let xy = |i: usize, value: f64| {
        (
            left + i as f64 * step,
            top + height - value.clamp(0.0, 100.0) / 100.0 * height,
        )
    };
    let line: String = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (x, y) = xy(i, p.value);
            format!("{x:.1},{y:.1}")
        })
        .collect::<Vec<_>>()
        .join(" ");
    let first = points.first().map(|p| p.label.clone()).unwrap_or_default();
    let last = points.last().map(|p| p.label.clone()).unwrap_or_default();
    let rows = points.clone();
    view! {
        <svg class="chart chart-line" viewBox="0 0 700 200" role="img" aria-labelledby=labelled_by>
            <desc>{description}</desc>
            {[0.0, 50.0, 100.0].into_iter().map(|tick| {
                let (_, y) = xy(0, tick);
                view! {
                    <line class="chart-grid" x1=left x2=left + width y1=y y2=y></line>
                    <text class="chart-label" x="0" y=y + 4.0>{format!("{tick:.0} %")}</text>
                }
            }).collect_view()}
            <polyline class="chart-trend" points=line fill="none"></polyline>
            {points.iter().enumerate().map(|(i, p)| {
                let (x, y) = xy(i, p.value);
                view! { <circle class="chart-dot" cx=x cy=y r="3"><title>{format!("{}: {:.1} %", p.label, p.value)}</title></circle> }
            }).collect_view()}
            <text class="chart-label" x=left y="196">{first}</text>
            <text class="chart-label" x=left + width y="196" text-anchor="end">{last}</text>
        </svg>
        <details class="chart-data">
            <summary>"Show data"</summary>
            <table class="table table-compact">
                <thead><tr><th scope="col">"Day"</th><th scope="col" class="num">"Value"</th></tr></thead>
                <tbody>
                    {rows.into_iter().map(|p| view! { <tr><td>{p.label}</td><td class="num">{format!("{:.1} %", p.value)}</td></tr> }).collect_view()}
                </tbody>
            </table>
        </details>
    }
}

/// One release on an end-of-life timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Lifespan {
    pub label: String,
    pub start: chrono::NaiveDate,
    pub end_of_support: Option<chrono::NaiveDate>,
    pub end_of_life: Option<chrono::NaiveDate>,
}

/// Releases as bars from release to end of life (open-ended ones fade out),
/// end of support as a tick, and a line for today.
#[component]
pub fn EolTimeline(
    labelled_by: String,
    today: chrono::NaiveDate,
    spans: Vec<Lifespan>,
) -> impl IntoView {
    let (label_width, width, row) = (90.0, 560.0, 26.0);
    let from = spans
        .iter()
        .map(|s| s.start)
        .min()
        .unwrap_or(today)
        .min(today);
    let to = spans
        .iter()
        .filter_map(|s| s.end_of_life)
        .max()
        .unwrap_or(today)
        .max(today + chrono::Duration::days(180));
    let days = (to - from).num_days().max(1) as f64;
    let x = move |d: chrono::NaiveDate| label_width + (d - from).num_days() as f64 / days * width;
    // Rows start below a strip that carries the "today" label.
    let top = 18.0;
    let height = top + spans.len() as f64 * row + 24.0;
    view! {
        <svg class="chart chart-timeline" viewBox=format!("0 0 {} {height}", label_width + width + 20.0) role="img" aria-labelledby=labelled_by>
            <desc>{format!("{} releases from {from} to {to}; today is {today}", spans.len())}</desc>
            {spans.into_iter().enumerate().map(|(i, s)| {
                let y = top + i as f64 * row;
                let end = s.end_of_life.unwrap_or(to);
                let tone = match s.end_of_life {
                    Some(eol) if eol <= today => "tone-danger",
                    Some(eol) if (eol - today).num_days() <= 90 => "tone-attention",
                    Some(_) => "tone-success",
                    None => "tone-info",
                };
                view! {
                    <g class=tone>
                        <text class="chart-label" x="0" y=y + 17.0>{s.label.clone()}</text>
                        <rect class="chart-bar" x=x(s.start) y=y + 6.0 width=(x(end) - x(s.start)).max(2.0) height="14" rx="3">
                            <title>{format!("{}: released {}, end of life {}", s.label, s.start, s.end_of_life.map_or("not set".to_owned(), |d| d.to_string()))}</title>
                        </rect>
                        {s.end_of_support.map(|eos| view! { <line class="chart-tick" x1=x(eos) x2=x(eos) y1=y + 3.0 y2=y + 23.0></line> })}
                    </g>
                }
            }).collect_view()}
            <line class="chart-today" x1=x(today) x2=x(today) y1=top - 4.0 y2=height - 20.0></line>
            <text class="chart-label" x=x(today) y="12" text-anchor="middle">{format!("today {today}")}</text>
            <text class="chart-label" x=label_width y=height - 6.0>{from.to_string()}</text>
            <text class="chart-label" x=label_width + width y=height - 6.0 text-anchor="end">{to.to_string()}</text>
        </svg>
    }
}

/// One line of a [`SeriesChart`]: (seconds since the first sample, value).
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    /// Tone class of the line (`slot-blue`, `slot-green`).
    pub class: &'static str,
    pub points: Vec<(f64, f64)>,
}

/// Lines over time sharing one axis (e.g. blue's and green's error rate
/// during a switch), with a legend and the data as a table.
#[component]
pub fn SeriesChart(
    #[prop(into)] labelled_by: String,
    description: String,
    /// Unit of the values: "%" or "ms".
    unit: &'static str,
    /// The axis reaches at least this high (so small noise is not blown up).
    floor: f64,
    series: Vec<Series>,
    /// What x counts: seconds of a switch by default, e.g. `("h", "Hour")`.
    #[prop(default = ("s", "Second"))]
    x_unit: (&'static str, &'static str),
) -> impl IntoView {
    let (left, top, width, height) = (52.0, 10.0, 620.0, 150.0);
    let x_max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .fold(1.0_f64, f64::max);
    let y_max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .fold(floor, f64::max)
        * 1.1;
    let xy = move |x: f64, y: f64| {
        (
            left + x / x_max * width,
            top + height - y.clamp(0.0, y_max) / y_max * height,
        )
    };
    let format_value = move |v: f64| {
        if unit == "%" {
            format!("{v:.1} %")
        } else {
            format!("{v:.0} {unit}")
        }
    };
    let table = series.clone();
    view! {
        <svg class="chart chart-series" viewBox="0 0 700 200" role="img" aria-labelledby=labelled_by>
            <desc>{description}</desc>
            {[0.0, 0.5, 1.0].into_iter().map(|f| {
                let (_, y) = xy(0.0, y_max / 1.1 * f);
                view! {
                    <line class="chart-grid" x1=left x2=left + width y1=y y2=y></line>
                    <text class="chart-label" x="0" y=y + 4.0>{format_value(y_max / 1.1 * f)}</text>
                }
            }).collect_view()}
            {series.iter().map(|s| {
                let line = s.points.iter().map(|(x, y)| {
                    let (px, py) = xy(*x, *y);
                    format!("{px:.1},{py:.1}")
                }).collect::<Vec<_>>().join(" ");
                let dots = s.points.iter().map(|(x, y)| {
                    let (px, py) = xy(*x, *y);
                    view! { <circle class=format!("chart-series-dot {}", s.class) cx=px cy=py r="2.5"><title>{format!("{}: {} at {x:.0} {}", s.name, format_value(*y), x_unit.0)}</title></circle> }
                }).collect_view();
                view! {
                    <polyline class=format!("chart-series-line {}", s.class) points=line fill="none"></polyline>
                    {dots}
                }.into_any()
            }).collect_view()}
            <text class="chart-label" x=left y="196">{format!("0 {}", x_unit.0)}</text>
            <text class="chart-label" x=left + width y="196" text-anchor="end">{format!("{x_max:.0} {}", x_unit.0)}</text>
            {series.iter().enumerate().map(|(i, s)| view! {
                <g class=s.class>
                    <rect class="chart-legend-swatch" x=left + width - 200.0 + i as f64 * 100.0 y="3" width="12" height="4"></rect>
                    <text class="chart-label" x=left + width - 184.0 + i as f64 * 100.0 y="9">{s.name.clone()}</text>
                </g>
            }.into_any()).collect_view()}
        </svg>
        <details class="chart-data">
            <summary>"Show data"</summary>
            <table class="table table-compact">
                <thead><tr><th scope="col">"Series"</th><th scope="col" class="num">{x_unit.1}</th><th scope="col" class="num">"Value"</th></tr></thead>
                <tbody>
                    {table.into_iter().flat_map(|s| {
                        let name = s.name.clone();
                        s.points.into_iter().map(move |(x, y)| view! {
                            <tr><td>{name.clone()}</td><td class="num">{format!("{x:.0}")}</td><td class="num">{format_value(y)}</td></tr>
                        })
                    }).collect_view()}
                </tbody>
            </table>
        </details>
    }
    .into_any()
}

/// One day of a pass-rate chart: runs and passes.
#[derive(Clone, Debug, PartialEq)]
pub struct DayBar {
    /// e.g. `12-06`.
    pub label: String,
    pub runs: u32,
    pub passed: u32,
}

impl From<&crate::domain::tenants::health::DayRate> for DayBar {
    fn from(day: &crate::domain::tenants::health::DayRate) -> Self {
        DayBar {
            label: day.day.format("%m-%d").to_string(),
            runs: day.runs,
            passed: day.passed,
        }
    }
}

/// A pass rate per day as columns (full height = every run passed); a day
/// without runs shows a dotted stub. The data follows as a table.
#[component]
pub fn DailyRateChart(
    #[prop(into)] labelled_by: String,
    description: String,
    days: Vec<DayBar>,
) -> impl IntoView {
    let (left, top, height) = (44.0, 10.0, 140.0);
    let slot = if days.is_empty() {
        0.0
    } else {
        640.0 / days.len() as f64
    };
    let y_of = |percent: f64| top + height - percent.clamp(0.0, 100.0) / 100.0 * height;
    let first = days.first().map(|d| d.label.clone()).unwrap_or_default();
    let last = days.last().map(|d| d.label.clone()).unwrap_or_default();
    let rows = days.clone();
    view! {
        <svg class="chart chart-days" viewBox="0 0 700 180" role="img" aria-labelledby=labelled_by>
            <desc>{description}</desc>
            {[0.0, 50.0, 100.0].into_iter().map(|tick| view! {
                <line class="chart-grid" x1=left x2=left + 640.0 y1=y_of(tick) y2=y_of(tick)></line>
                <text class="chart-label" x="0" y=y_of(tick) + 4.0>{format!("{tick:.0} %")}</text>
            }).collect_view()}
            {days.into_iter().enumerate().map(|(i, day)| {
                let x = left + i as f64 * slot + slot * 0.15;
                let width = (slot * 0.7).max(2.0);
                let title = if day.runs == 0 {
                    format!("{}: no runs", day.label)
                } else {
                    format!("{}: {} of {} runs passed", day.label, day.passed, day.runs)
                };
                if day.runs == 0 {
                    view! {
                        <g class="tone-neutral"><rect class="chart-empty" x=x y=y_of(0.0) - 2.0 width=width height="2"><title>{title}</title></rect></g>
                    }.into_any()
                } else {
                    let percent = f64::from(day.passed) * 100.0 / f64::from(day.runs);
                    let tone = if day.passed == day.runs { "tone-success" } else if percent >= 90.0 { "tone-warning" } else { "tone-danger" };
                    let y = y_of(percent).min(y_of(0.0) - 2.0);
                    view! {
                        <g class=tone><rect class="chart-bar" x=x y=y width=width height=y_of(0.0) - y rx="2"><title>{title}</title></rect></g>
                    }.into_any()
                }
            }).collect_view()}
            <text class="chart-label" x=left y="176">{first}</text>
            <text class="chart-label" x=left + 640.0 y="176" text-anchor="end">{last}</text>
        </svg>
        <details class="chart-data">
            <summary>"Show data"</summary>
            <table class="table table-compact">
                <thead><tr><th scope="col">"Day"</th><th scope="col" class="num">"Runs"</th><th scope="col" class="num">"Passed"</th></tr></thead>
                <tbody>
                    {rows.into_iter().filter(|d| d.runs > 0).map(|d| view! { <tr><td>{d.label}</td><td class="num">{d.runs}</td><td class="num">{d.passed}</td></tr> }).collect_view()}
                </tbody>
            </table>
        </details>
    }
}

/// A value per day as bars (e.g. a tenant's storage or API calls), with the
/// quota as a dashed threshold line when there is one, and the data as a
/// table behind "Show data".
#[component]
pub fn DailyValueChart(
    #[prop(into)] labelled_by: String,
    description: String,
    /// (`YYYY-MM-DD`, value), oldest first.
    days: Vec<(String, f64)>,
    /// The quota the values are held to.
    limit: Option<f64>,
) -> impl IntoView {
    let (left, top, width, height) = (60.0, 10.0, 610.0, 150.0);
    let y_max = days
        .iter()
        .map(|(_, v)| *v)
        .chain(limit)
        .fold(1.0_f64, f64::max)
        * 1.1;
    let y = move |v: f64| top + height - v.clamp(0.0, y_max) / y_max * height;
    let slot = width / days.len().max(1) as f64;
    let bar = (slot * 0.7).clamp(2.0, 40.0);
    let number = |v: f64| {
        if v.fract() == 0.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.2}")
        }
    };
    let first = days.first().map(|(d, _)| d.clone()).unwrap_or_default();
    let last = days.last().map(|(d, _)| d.clone()).unwrap_or_default();
    let table = days.clone();
    view! {
        <svg class="chart chart-daily-values" viewBox="0 0 700 200" role="img" aria-labelledby=labelled_by>
            <desc>{description}</desc>
            {[0.0, 0.5, 1.0].into_iter().map(|f| {
                let v = y_max / 1.1 * f;
                view! {
                    <line class="chart-grid" x1=left x2=left + width y1=y(v) y2=y(v)></line>
                    <text class="chart-label" x="0" y=y(v) + 4.0>{number(v.round())}</text>
                }
            }).collect_view()}
            {days.iter().enumerate().map(|(i, (day, v))| {
                let x = left + slot * i as f64 + (slot - bar) / 2.0;
                let over = limit.is_some_and(|l| *v >= l);
                view! {
                    <rect class=if over { "chart-bar tone-danger" } else { "chart-bar tone-info" } x=x y=y(*v) width=bar height=(top + height - y(*v)).max(0.5)>
                        <title>{format!("{day}: {}", number(*v))}</title>
                    </rect>
                }
            }).collect_view()}
            {limit.map(|l| view! {
                <line class="chart-threshold" x1=left x2=left + width y1=y(l) y2=y(l)></line>
                <text class="chart-label chart-threshold-label" x=left + width y=y(l) - 4.0 text-anchor="end">{format!("Quota {}", number(l))}</text>
            })}
            <text class="chart-label" x=left y="196">{first}</text>
            <text class="chart-label" x=left + width y="196" text-anchor="end">{last}</text>
        </svg>
        <details class="chart-data">
            <summary>"Show data"</summary>
            <table class="table table-compact">
                <thead><tr><th scope="col">"Day"</th><th scope="col" class="num">"Value"</th></tr></thead>
                <tbody>
                    {table.into_iter().map(|(day, v)| view! {
                        <tr><td>{day}</td><td class="num">{number(v)}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </details>
    }
    .into_any()
}
