//! STUB: replaced by the real reader.

use super::error::{Result, TraceError};
use super::event::Event;
use super::tables::Tables;

pub struct Reader<'a> {
    _data: &'a [u8],
    warnings: Vec<String>,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8], _minor: u32, _tables: &mut Tables) -> Result<Self> {
        Err(TraceError::malformed(super::HEADER_LEN, "a reader for this format (not written yet)"))
            .map(|()| Reader { _data: data, warnings: Vec::new() })
    }

    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    pub fn next_event(&mut self, _tables: &mut Tables) -> Result<Option<Event>> {
        Ok(None)
    }
}
