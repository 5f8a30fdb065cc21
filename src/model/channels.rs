//! The channels a patched runtime saw: what each one holds, where it was made, and how much
//! went through it; and how a value that crossed it reads, by its element kind.

use rustc_hash::FxHashMap as HashMap;

use serde::{Deserialize, Serialize};

use super::stacks::StackRef;
use crate::trace::{ChanFlags, ElemType, Event, EventKind, Tables};

/// One channel, as `channels[]` of the model lists it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    pub id: u64,
    /// The element type as Go prints it (`int`, `main.ball`); absent for a channel made
    /// before tracing started (its make was not recorded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elem_type: Option<String>,
    /// Go's name of the element's kind (`int`, `string`, `ptr`, `struct`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elem_kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elem_size: Option<u32>,
    /// The buffer's size (0: unbuffered).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub made_ns: Option<u64>,
    /// Where `make(chan …)` ran (an index into `Model::stacks`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub make_stack: Option<StackRef>,
    /// Values sent into it and taken out of it while tracing ran.
    pub sends: u64,
    pub recvs: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_ns: Option<u64>,
}

/// The channels seen so far, by id.
#[derive(Default)]
pub struct ChannelLedger {
    channels: HashMap<u64, Channel>,
    kinds: HashMap<u64, u8>,
}

impl ChannelLedger {
    fn entry(&mut self, chan: u64) -> &mut Channel {
        self.channels.entry(chan).or_insert_with(|| Channel { id: chan, ..Channel::default() })
    }

    /// Keeps the books of a channel event (make, send, receive, close); other events are
    /// left alone.
    pub fn apply(&mut self, tables: &Tables, ev: &Event) {
        match ev.kind {
            EventKind::ChanMake { chan, cap, elem } => self.made(tables, ev, chan, cap, elem),
            EventKind::ChanSend { chan, .. } => self.entry(chan).sends += 1,
            // A receive of a closed channel's zero value took nothing out.
            EventKind::ChanRecv { chan, flags, .. } if !flags.has(ChanFlags::CLOSED) => self.entry(chan).recvs += 1,
            EventKind::ChanClose { chan } => self.entry(chan).closed_ns = Some(ev.ts),
            _ => {}
        }
    }

    fn made(&mut self, tables: &Tables, ev: &Event, chan: u64, cap: u64, elem: ElemType) {
        self.kinds.insert(chan, elem.kind);
        let c = self.entry(chan);
        c.elem_type = Some(tables.str(elem.name)).filter(|s| !s.is_empty()).map(str::to_string);
        c.elem_kind = kind_name(elem.kind).map(str::to_string);
        c.elem_size = Some(elem.size);
        c.capacity = Some(cap);
        c.made_ns = Some(ev.ts);
        c.make_stack = StackRef::of(ev.stack);
    }

    /// The element kind of `chan`, 0 when its make was not recorded.
    pub fn kind(&self, chan: u64) -> u8 {
        self.kinds.get(&chan).copied().unwrap_or(0)
    }

    /// Every channel, by id.
    pub fn finish(self) -> Vec<Channel> {
        let mut out: Vec<Channel> = self.channels.into_values().collect();
        out.sort_by_key(|c| c.id);
        out
    }
}

/// Go's `internal/abi.Kind` numbers, named as `reflect.Kind.String` names them.
const KIND_NAMES: [&str; 27] = [
    "invalid",
    "bool",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "uintptr",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "array",
    "chan",
    "func",
    "interface",
    "map",
    "ptr",
    "slice",
    "string",
    "struct",
    "unsafe.Pointer",
];

fn kind_name(kind: u8) -> Option<&'static str> {
    KIND_NAMES.get(usize::from(kind)).copied().filter(|_| kind != 0)
}

/// How a value that crossed a channel of element kind `kind` reads; `None` when the
/// runtime recorded none (elements wider than 8 bytes, interfaces, structs…). An unknown
/// kind (the channel's make was not traced) reads as the plain number.
pub fn format_value(kind: u8, value: u64, flags: ChanFlags) -> Option<String> {
    if flags.has(ChanFlags::NO_VALUE) {
        return None;
    }
    if flags.has(ChanFlags::VALUE_IS_LEN) || kind == 24 {
        return Some(format!("len={value}"));
    }
    Some(match kind {
        1 => (value != 0).to_string(),
        2..=6 => (value as i64).to_string(),
        13 => f32::from_bits(value as u32).to_string(),
        14 => f64::from_bits(value).to_string(),
        18 | 19 | 21 | 22 | 26 => format!("{value:#x}"),
        _ => value.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(kind: u8, value: u64) -> Option<String> {
        format_value(kind, value, ChanFlags::default())
    }

    #[test]
    fn values_read_as_their_element_kind() {
        assert_eq!(f(2, 42).as_deref(), Some("42"));
        assert_eq!(f(3, u64::MAX).as_deref(), Some("-1"), "sign-extended int8");
        assert_eq!(f(11, u64::MAX).as_deref(), Some("18446744073709551615"));
        assert_eq!(f(14, 2.5f64.to_bits()).as_deref(), Some("2.5"));
        assert_eq!(f(13, u64::from(0.5f32.to_bits())).as_deref(), Some("0.5"));
        assert_eq!(f(1, 1).as_deref(), Some("true"));
        assert_eq!(f(22, 0xc000012345).as_deref(), Some("0xc000012345"));
        assert_eq!(f(24, 5).as_deref(), Some("len=5"));
        assert_eq!(format_value(0, 5, ChanFlags(ChanFlags::VALUE_IS_LEN)).as_deref(), Some("len=5"));
        assert_eq!(format_value(25, 0, ChanFlags(ChanFlags::NO_VALUE)), None);
        assert_eq!(f(0, 7).as_deref(), Some("7"), "a channel made before the trace");
    }
}
