//! The one CSV writer of every export: each cell passes through
//! [`spreadsheet_safe`], so a value a tenant user or an anonymous caller
//! chose (a name, a failed sign-in's email, a request id) never opens as a
//! formula in a spreadsheet.

use std::future::Future;

use tokio::sync::mpsc;

use crate::backend::error::{ServiceError, ServiceResult};
use crate::domain::untrusted::spreadsheet_safe;

pub struct SafeCsv {
    writer: csv::Writer<Vec<u8>>,
}

impl Default for SafeCsv {
    fn default() -> Self {
        Self::new()
    }
}

impl SafeCsv {
    pub fn new() -> Self {
        Self {
            writer: csv::Writer::from_writer(vec![]),
        }
    }

    pub fn write_record<I, T>(&mut self, record: I) -> Result<(), csv::Error>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        self.writer.write_record(
            record
                .into_iter()
                .map(|cell| spreadsheet_safe(cell.as_ref()).into_owned()),
        )
    }

    pub fn into_inner(self) -> Result<Vec<u8>, String> {
        self.writer.into_inner().map_err(|e| e.to_string())
    }
}

/// One page of an export's rows, and where the next page starts (none: this
/// was the last).
pub struct ExportPage<C> {
    pub rows: Vec<Vec<String>>,
    pub next: Option<C>,
}

/// An export written while the client reads it. The first page is fetched
/// before the answer starts, so a refusal or a bad filter is still a proper
/// error status; each later page is fetched only once the client has taken
/// the one before, so memory holds a page or two, never the whole export.
/// A client that goes away stops the fetching.
pub struct CsvStream {
    chunks: mpsc::Receiver<ServiceResult<Vec<u8>>>,
}

impl CsvStream {
    /// `fetch(None)` gives the first page, `fetch(Some(cursor))` the page a
    /// cursor points at.
    pub async fn paged<C, F, Fut>(header: &[&str], mut fetch: F) -> ServiceResult<Self>
    where
        C: Send + 'static,
        F: FnMut(Option<C>) -> Fut + Send + 'static,
        Fut: Future<Output = ServiceResult<ExportPage<C>>> + Send + 'static,
    {
        let first = fetch(None).await?;
        let (sender, chunks) = mpsc::channel(1);
        let mut bytes = encode(std::iter::once(
            header.iter().map(|h| h.to_string()).collect(),
        ))?;
        bytes.extend(encode(first.rows)?);
        // Capacity 1 and an empty channel: this cannot fail.
        let _ = sender.try_send(Ok(bytes));
        if let Some(mut cursor) = first.next {
            tokio::spawn(async move {
                loop {
                    let page = match fetch(Some(cursor)).await {
                        Ok(page) => page,
                        Err(error) => {
                            let _ = sender.send(Err(error)).await;
                            return;
                        }
                    };
                    if sender.send(encode(page.rows)).await.is_err() {
                        return; // the client went away
                    }
                    match page.next {
                        Some(next) => cursor = next,
                        None => return,
                    }
                }
            });
        }
        Ok(Self { chunks })
    }

    /// The next piece of the file, in order; `None` at the end.
    pub async fn next_chunk(&mut self) -> Option<ServiceResult<Vec<u8>>> {
        self.chunks.recv().await
    }

    /// The whole file (tests, small exports).
    pub async fn into_string(mut self) -> ServiceResult<String> {
        let mut all = Vec::new();
        while let Some(chunk) = self.next_chunk().await {
            all.extend(chunk?);
        }
        String::from_utf8(all).map_err(ServiceError::internal)
    }
}

fn encode(rows: impl IntoIterator<Item = Vec<String>>) -> ServiceResult<Vec<u8>> {
    let mut csv = SafeCsv::new();
    for row in rows {
        csv.write_record(row).map_err(ServiceError::internal)?;
    }
    csv.into_inner().map_err(ServiceError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cell_is_written_spreadsheet_safe() {
        let mut csv = SafeCsv::new();
        csv.write_record(["email", "request_id"]).unwrap();
        csv.write_record(["=HYPERLINK(\"http://evil\",\"x\")", "-1+2"])
            .unwrap();
        let text = String::from_utf8(csv.into_inner().unwrap()).unwrap();
        assert_eq!(
            text,
            "email,request_id\n\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",'-1+2\n"
        );
    }

    #[tokio::test]
    async fn a_paged_export_writes_the_header_once_and_every_page_in_order() {
        let export = CsvStream::paged(&["n"], |cursor: Option<u32>| async move {
            let page = cursor.unwrap_or(0);
            Ok(ExportPage {
                rows: vec![vec![format!("row {page}")], vec!["=1+1".into()]],
                next: (page < 2).then_some(page + 1),
            })
        })
        .await
        .unwrap();
        assert_eq!(
            export.into_string().await.unwrap(),
            "n\nrow 0\n'=1+1\nrow 1\n'=1+1\nrow 2\n'=1+1\n"
        );
    }

    #[tokio::test]
    async fn a_refused_first_page_is_an_error_before_anything_is_sent() {
        let refused = CsvStream::paged(&["n"], |_: Option<u32>| async {
            Err::<ExportPage<u32>, _>(ServiceError::NotFound)
        })
        .await;
        assert!(matches!(refused, Err(ServiceError::NotFound)));
    }
}
