//! The messages between the pool and a worker, and how they are framed on its channel.
//!
//! A stream socket carries bytes, not messages, so every message is a *frame*: 4 magic bytes,
//! the body's length (4 bytes, little-endian), then the body. The magic catches a mistake
//! that would otherwise hang the pool: a worker program that is not what the pool thinks
//! (another version of it, or another program) and writes something else; its bytes are not
//! a frame, and the pool reports that instead of waiting for a length read out of them.
//!
//! ```text
//! parent → worker:   "SLP1" len | job id (u64) | name length (u16) | name | args
//! worker → parent:   "SLP1" len | job id (u64) | status (u8) | payload
//! ```
//! A worker greets first, with job id 0 and status [`Status::Hello`], so that a program that
//! does not call `worker_entry` is caught before it is sent a job. Replies carry the job's id
//! so that the parent can match them whatever the order; with one job per worker at a time it
//! is also a check that both sides agree.

use crate::Error;

/// The first bytes of every frame.
const MAGIC: [u8; 4] = *b"SLP1";
/// Magic and length.
pub(crate) const HEADER_LEN: usize = 8;
/// No frame is larger: a corrupt length must not make the reader allocate without bound.
const MAX_BODY: usize = 1 << 30;

/// How a job went, the second field of a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// The payload is the job's result.
    Ok = 0,
    /// The job returned an error; the payload is its message.
    Failed = 1,
    /// The job panicked; the payload is the panic message.
    Panicked = 2,
    /// The worker's greeting, sent once before any job.
    Hello = 3,
}

// ANCHOR: frames
/// A request: run job `name` with `args`.
pub(crate) fn request(id: u64, name: &str, args: &[u8]) -> Vec<u8> {
    let name_len = u16::try_from(name.len()).unwrap_or_else(|_| {
        panic!(
            "a job name of {} bytes: job names are at most 65535 bytes; register the job \
             under a shorter name",
            name.len()
        )
    });
    let mut body = Vec::with_capacity(8 + 2 + name.len() + args.len());
    body.extend_from_slice(&id.to_le_bytes());
    body.extend_from_slice(&name_len.to_le_bytes());
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(args);
    frame(&body)
}

/// Reads a request's body back: (id, name, args).
pub(crate) fn parse_request(body: &[u8]) -> Result<(u64, &str, &[u8]), String> {
    let bad = || "a request frame too short to hold its id and name".to_string();
    let id = u64::from_le_bytes(body.get(..8).ok_or_else(bad)?.try_into().expect("8"));
    let name_len = u16::from_le_bytes(body.get(8..10).ok_or_else(bad)?.try_into().expect("2"));
    let name = body.get(10..10 + usize::from(name_len)).ok_or_else(bad)?;
    let name = std::str::from_utf8(name).map_err(|e| format!("a job name is not UTF-8: {e}"))?;
    Ok((id, name, &body[10 + usize::from(name_len)..]))
}

/// A reply: job `id` ended with `status`.
pub(crate) fn reply(id: u64, status: Status, payload: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(9 + payload.len());
    body.extend_from_slice(&id.to_le_bytes());
    body.push(status as u8);
    body.extend_from_slice(payload);
    frame(&body)
}
// ANCHOR_END: frames

/// Reads a reply's body back: (id, status, payload).
pub(crate) fn parse_reply(body: &[u8]) -> Result<(u64, Status, &[u8]), String> {
    if body.len() < 9 {
        return Err("a reply frame too short to hold its id and status".into());
    }
    let id = u64::from_le_bytes(body[..8].try_into().expect("8"));
    let status = match body[8] {
        0 => Status::Ok,
        1 => Status::Failed,
        2 => Status::Panicked,
        3 => Status::Hello,
        other => return Err(format!("a reply with the unknown status {other}")),
    };
    Ok((id, status, &body[9..]))
}

/// A reply's outcome, as the job's future will hold it.
pub(crate) fn outcome(status: Status, payload: &[u8]) -> Result<Vec<u8>, Error> {
    let text = || String::from_utf8_lossy(payload).into_owned();
    match status {
        Status::Ok => Ok(payload.to_vec()),
        Status::Failed => Err(Error::msg(text())),
        Status::Panicked => Err(Error::Panicked(text().into())),
        Status::Hello => Err(Error::msg("a worker greeted twice")),
    }
}

fn frame(body: &[u8]) -> Vec<u8> {
    assert!(
        body.len() <= MAX_BODY,
        "a job's arguments or result of {} bytes exceed the protocol's 1 GiB frame: send \
         the data in pieces, or pass a file name instead",
        body.len()
    );
    let len = u32::try_from(body.len()).expect("MAX_BODY fits in a u32");
    let mut bytes = Vec::with_capacity(HEADER_LEN + body.len());
    bytes.extend_from_slice(&MAGIC);
    bytes.extend_from_slice(&len.to_le_bytes());
    bytes.extend_from_slice(body);
    bytes
}

/// True if a reply with a payload of `len` bytes fits in a frame.
pub(crate) fn fits(len: usize) -> bool {
    len <= MAX_BODY - 9
}

/// The body length a header announces.
pub(crate) fn parse_header(header: &[u8; HEADER_LEN]) -> Result<usize, String> {
    if header[..4] != MAGIC {
        return Err(format!(
            "it sent bytes that are not a steploop frame ({:?}...): is the worker program \
             built from the same steploop as the pool?",
            String::from_utf8_lossy(header)
        ));
    }
    let len = u32::from_le_bytes(header[4..].try_into().expect("4")) as usize;
    if len > MAX_BODY {
        return Err(format!(
            "it announced a frame of {len} bytes, over the 1 GiB limit"
        ));
    }
    Ok(len)
}

/// Cuts the bytes read from a channel into frame bodies, however the reads split them.
#[derive(Debug, Default)]
pub(crate) struct FrameReader {
    buffer: Vec<u8>,
    /// Where the next frame starts in `buffer`; the bytes before it are used up.
    start: usize,
}

impl FrameReader {
    /// Appends bytes just read.
    pub(crate) fn extend(&mut self, bytes: &[u8]) {
        if self.start == self.buffer.len() {
            self.buffer.clear();
            self.start = 0;
        }
        self.buffer.extend_from_slice(bytes);
    }

    /// The next complete frame's body, if all of it has arrived.
    pub(crate) fn next_body(&mut self) -> Result<Option<Vec<u8>>, String> {
        let available = &self.buffer[self.start..];
        let Some(header) = available.get(..HEADER_LEN) else {
            return Ok(None);
        };
        let len = parse_header(header.try_into().expect("HEADER_LEN bytes"))?;
        let Some(body) = available.get(HEADER_LEN..HEADER_LEN + len) else {
            return Ok(None);
        };
        let body = body.to_vec();
        self.start += HEADER_LEN + len;
        Ok(Some(body))
    }

    /// True if bytes of an unfinished frame are waiting.
    pub(crate) fn has_partial(&self) -> bool {
        self.start < self.buffer.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_survive_any_split() {
        let mut bytes = request(1, "count", b"args");
        bytes.extend(reply(2, Status::Ok, b"result"));
        for split in 0..bytes.len() {
            let mut reader = FrameReader::default();
            let mut bodies = Vec::new();
            for part in [&bytes[..split], &bytes[split..]] {
                reader.extend(part);
                while let Some(body) = reader.next_body().unwrap() {
                    bodies.push(body);
                }
            }
            assert_eq!(
                parse_request(&bodies[0]).unwrap(),
                (1, "count", &b"args"[..])
            );
            assert_eq!(
                parse_reply(&bodies[1]).unwrap(),
                (2, Status::Ok, &b"result"[..])
            );
            assert!(!reader.has_partial());
        }
    }

    #[test]
    fn text_is_not_a_frame() {
        let mut reader = FrameReader::default();
        reader.extend(b"hello from a job\n");
        let error = reader.next_body().unwrap_err();
        assert!(error.contains("not a steploop frame"), "{error}");
    }
}
