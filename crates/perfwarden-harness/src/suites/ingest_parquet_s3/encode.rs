//! Parquet encoding with a hard file size limit.
//!
//! Row groups are encoded on their own first ([`RowGroupEncoder`], arrow-rs's column
//! writers), so their exact compressed size is known before they join a file. A file
//! takes the next row group only if its bytes so far, the row group and a conservative
//! bound on the footer stay within `max_file_size`; otherwise it is closed and the row
//! group starts a new file. A row group too big for even an empty file is split in halves
//! and re-encoded. So no file exceeds the limit, and closing a file checks it anyway.

use std::sync::Arc;

use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowRowGroupWriterFactory, ArrowWriterOptions, compute_leaves,
};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;

use super::columns::{schema, to_record_batch};
use super::error::IngestError;
use super::events::Event;
use super::world::World;

/// A row group encoded but not yet in a file.
pub struct EncodedRowGroup {
    chunks: Vec<ArrowColumnChunk>,
    pub rows: usize,
    /// Compressed bytes of all column chunks: what the row group adds to the file body.
    pub bytes: u64,
    /// Data and dictionary pages over all columns (each adds to the page index).
    pub pages: usize,
}

/// Encodes events into row groups with one set of writer properties.
pub struct RowGroupEncoder {
    world: Arc<World>,
    props: WriterProperties,
    factory: ArrowRowGroupWriterFactory,
    /// Length of the key-value metadata (the embedded Arrow schema) each footer carries.
    kv_len: usize,
}

impl RowGroupEncoder {
    pub fn new(world: Arc<World>, props: WriterProperties) -> Result<RowGroupEncoder, IngestError> {
        let (writer, factory) = new_file(&props)?;
        let kv_len = writer
            .properties()
            .key_value_metadata()
            .map(|kv| {
                kv.iter()
                    .map(|e| e.key.len() + e.value.as_ref().map_or(0, |v| v.len()))
                    .sum()
            })
            .unwrap_or(0);
        Ok(RowGroupEncoder {
            world,
            props,
            factory,
            kv_len,
        })
    }

    /// Encodes `events` (at least one) into one row group.
    pub fn encode(&self, events: &[Event]) -> Result<EncodedRowGroup, IngestError> {
        let batch = to_record_batch(&self.world, events);
        let err = |e| IngestError::parquet(format!("a row group of {} events", events.len()), e);
        let mut writers = self.factory.create_column_writers(0).map_err(err)?;
        let mut chunks = Vec::with_capacity(writers.len());
        for ((writer, field), column) in writers
            .iter_mut()
            .zip(batch.schema().fields())
            .zip(batch.columns())
        {
            for leaf in compute_leaves(field, column).map_err(err)? {
                writer.write(&leaf).map_err(err)?;
            }
        }
        let (mut bytes, mut pages) = (0u64, 0usize);
        for writer in writers {
            let chunk = writer.close().map_err(err)?;
            bytes += chunk.close().metadata.compressed_size() as u64;
            pages += chunk
                .close()
                .offset_index
                .as_ref()
                .map_or(1, |o| o.page_locations.len())
                + 1;
            chunks.push(chunk);
        }
        Ok(EncodedRowGroup {
            chunks,
            rows: events.len(),
            bytes,
            pages,
        })
    }

    /// A bound on the bytes that follow the row groups in a file of `row_groups` row
    /// groups with `pages` pages in all: page indexes, footer metadata, length and magic.
    ///
    /// Per column chunk the metadata holds its path, encodings, sizes, offsets and
    /// statistics (min and max truncated to 64 bytes, possibly in both the old and the
    /// new fields): under 512 bytes. Per page the column index holds min and max (64 bytes
    /// each at most), a null count and flags, the offset index three integers: under 192
    /// bytes. The schema and the embedded Arrow schema are counted once, doubled. Measured
    /// footers come out at a quarter to a half of this bound (see the lane tests).
    pub(crate) fn footer_bound(&self, row_groups: usize, pages: usize) -> u64 {
        let columns = schema().fields().len();
        let base = 4 * 1024 + 2 * self.kv_len + columns * 64;
        (base + row_groups * columns * 512 + pages * 192) as u64
    }

    /// A new, empty file with this encoder's properties.
    pub(crate) fn start_file(&self) -> Result<OpenFile, IngestError> {
        let (writer, _) = new_file(&self.props)?;
        Ok(OpenFile {
            writer,
            rows: 0,
            row_groups: 0,
            pages: 0,
        })
    }

    /// The size `file` would have once closed if `group` were added to it.
    pub(crate) fn size_with(&self, file: &OpenFile, group: &EncodedRowGroup) -> u64 {
        file.writer.bytes_written() as u64
            + group.bytes
            + self.footer_bound(file.row_groups + 1, file.pages + group.pages)
    }
}

fn new_file(
    props: &WriterProperties,
) -> Result<(SerializedFileWriter<Vec<u8>>, ArrowRowGroupWriterFactory), IngestError> {
    let options = ArrowWriterOptions::new().with_properties(props.clone());
    ArrowWriter::try_new_with_options(Vec::new(), schema(), options)
        .and_then(|w| w.into_serialized_writer())
        .map_err(|e| IngestError::parquet("a new file", e))
}

/// A Parquet file being filled in memory.
pub(crate) struct OpenFile {
    writer: SerializedFileWriter<Vec<u8>>,
    pub rows: u64,
    pub row_groups: usize,
    pages: usize,
}

impl OpenFile {
    /// Appends an encoded row group.
    pub(crate) fn append(&mut self, group: EncodedRowGroup) -> Result<(), IngestError> {
        let err = |e| IngestError::parquet("appending a row group", e);
        let mut rg = self.writer.next_row_group().map_err(err)?;
        for chunk in group.chunks {
            chunk.append_to_row_group(&mut rg).map_err(err)?;
        }
        rg.close().map_err(err)?;
        self.rows += group.rows as u64;
        self.row_groups += 1;
        self.pages += group.pages;
        Ok(())
    }

    /// Writes the footer and returns the whole file.
    pub(crate) fn finish(self) -> Result<Bytes, IngestError> {
        let buf = self
            .writer
            .into_inner()
            .map_err(|e| IngestError::parquet("closing a file", e))?;
        Ok(Bytes::from(buf))
    }
}
