//! The one CSV writer of every export: each cell passes through
//! [`spreadsheet_safe`], so a value a tenant user or an anonymous caller
//! chose (a name, a failed sign-in's email, a request id) never opens as a
//! formula in a spreadsheet.

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
}
