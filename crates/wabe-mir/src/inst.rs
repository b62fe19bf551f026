//! MIR instructions: one [`MirTag`] (a wasm instruction or a pseudo-instruction whose operand
//! the linker resolves) and an 8-byte [`MirData`] each.

macro_rules! mir_tags {
    ($($variant:ident = $op:literal, $name:literal, $imm:ident;)*) => {
        /// A wasm instruction, or a pseudo-instruction resolved at emit time.
        #[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
        #[repr(u16)]
        pub enum MirTag {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
        }

        impl MirTag {
            /// The opcode: one byte, or `0xFC00 | sub` for `0xFC`-prefixed instructions. Pseudo
            /// instructions report the opcode they become.
            pub fn opcode(self) -> u16 {
                match self { $(MirTag::$variant => $op,)* }
            }

            /// The instruction's name as in WAT.
            pub fn name(self) -> &'static str {
                match self { $(MirTag::$variant => $name,)* }
            }

            /// What the immediate operand is.
            pub fn immediate(self) -> Imm {
                match self { $(MirTag::$variant => Imm::$imm,)* }
            }
        }
    };
}

/// The immediate of an instruction and what [`MirData`] holds for it.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum Imm {
    /// No immediate.
    None,
    /// `a`: block type byte (`0x40` empty, or a value type byte `0x7f`/`0x7e`/`0x7d`/`0x7c`).
    BlockType,
    /// `a`: relative label depth.
    Label,
    /// `a`: extra index of `count, labels..., default`.
    BrTable,
    /// `a`: function symbol (resolved to a function index).
    Func,
    /// `a`: type index (in the linker's function type table). Table 0.
    CallIndirect,
    /// `a`: local index.
    Local,
    /// `a`: global symbol (resolved to a global index).
    Global,
    /// `a`: offset, `b`: alignment as log2.
    MemArg,
    /// `a`: the value's bits.
    I32,
    /// `a`: low 32 bits, `b`: high 32 bits.
    I64,
    /// `a`: the bits.
    F32,
    /// `a`: low 32 bits, `b`: high 32 bits.
    F64,
    /// Memory index 0.
    Memory,
    /// Two memory indices (`memory.copy 0 0`).
    MemoryCopy,
    /// `a`: data symbol, `b`: addend (as `i32`); becomes `i32.const`/`i64.const` of the address.
    MemAddr,
    /// `a`: function symbol; becomes `i32.const`/`i64.const` of its table index.
    TableIndex,
}

mir_tags! {
    Unreachable = 0x00, "unreachable", None;
    Nop = 0x01, "nop", None;
    Block = 0x02, "block", BlockType;
    Loop = 0x03, "loop", BlockType;
    If = 0x04, "if", BlockType;
    Else = 0x05, "else", None;
    End = 0x0b, "end", None;
    Br = 0x0c, "br", Label;
    BrIf = 0x0d, "br_if", Label;
    BrTable = 0x0e, "br_table", BrTable;
    Return = 0x0f, "return", None;
    Call = 0x10, "call", Func;
    CallIndirect = 0x11, "call_indirect", CallIndirect;
    ReturnCall = 0x12, "return_call", Func;
    ReturnCallIndirect = 0x13, "return_call_indirect", CallIndirect;
    Drop = 0x1a, "drop", None;
    Select = 0x1b, "select", None;
    LocalGet = 0x20, "local.get", Local;
    LocalSet = 0x21, "local.set", Local;
    LocalTee = 0x22, "local.tee", Local;
    GlobalGet = 0x23, "global.get", Global;
    GlobalSet = 0x24, "global.set", Global;
    I32Load = 0x28, "i32.load", MemArg;
    I64Load = 0x29, "i64.load", MemArg;
    F32Load = 0x2a, "f32.load", MemArg;
    F64Load = 0x2b, "f64.load", MemArg;
    I32Load8S = 0x2c, "i32.load8_s", MemArg;
    I32Load8U = 0x2d, "i32.load8_u", MemArg;
    I32Load16S = 0x2e, "i32.load16_s", MemArg;
    I32Load16U = 0x2f, "i32.load16_u", MemArg;
    I64Load8S = 0x30, "i64.load8_s", MemArg;
    I64Load8U = 0x31, "i64.load8_u", MemArg;
    I64Load16S = 0x32, "i64.load16_s", MemArg;
    I64Load16U = 0x33, "i64.load16_u", MemArg;
    I64Load32S = 0x34, "i64.load32_s", MemArg;
    I64Load32U = 0x35, "i64.load32_u", MemArg;
    I32Store = 0x36, "i32.store", MemArg;
    I64Store = 0x37, "i64.store", MemArg;
    F32Store = 0x38, "f32.store", MemArg;
    F64Store = 0x39, "f64.store", MemArg;
    I32Store8 = 0x3a, "i32.store8", MemArg;
    I32Store16 = 0x3b, "i32.store16", MemArg;
    I64Store8 = 0x3c, "i64.store8", MemArg;
    I64Store16 = 0x3d, "i64.store16", MemArg;
    I64Store32 = 0x3e, "i64.store32", MemArg;
    MemorySize = 0x3f, "memory.size", Memory;
    MemoryGrow = 0x40, "memory.grow", Memory;
    I32Const = 0x41, "i32.const", I32;
    I64Const = 0x42, "i64.const", I64;
    F32Const = 0x43, "f32.const", F32;
    F64Const = 0x44, "f64.const", F64;
    I32Eqz = 0x45, "i32.eqz", None;
    I32Eq = 0x46, "i32.eq", None;
    I32Ne = 0x47, "i32.ne", None;
    I32LtS = 0x48, "i32.lt_s", None;
    I32LtU = 0x49, "i32.lt_u", None;
    I32GtS = 0x4a, "i32.gt_s", None;
    I32GtU = 0x4b, "i32.gt_u", None;
    I32LeS = 0x4c, "i32.le_s", None;
    I32LeU = 0x4d, "i32.le_u", None;
    I32GeS = 0x4e, "i32.ge_s", None;
    I32GeU = 0x4f, "i32.ge_u", None;
    I64Eqz = 0x50, "i64.eqz", None;
    I64Eq = 0x51, "i64.eq", None;
    I64Ne = 0x52, "i64.ne", None;
    I64LtS = 0x53, "i64.lt_s", None;
    I64LtU = 0x54, "i64.lt_u", None;
    I64GtS = 0x55, "i64.gt_s", None;
    I64GtU = 0x56, "i64.gt_u", None;
    I64LeS = 0x57, "i64.le_s", None;
    I64LeU = 0x58, "i64.le_u", None;
    I64GeS = 0x59, "i64.ge_s", None;
    I64GeU = 0x5a, "i64.ge_u", None;
    F32Eq = 0x5b, "f32.eq", None;
    F32Ne = 0x5c, "f32.ne", None;
    F32Lt = 0x5d, "f32.lt", None;
    F32Gt = 0x5e, "f32.gt", None;
    F32Le = 0x5f, "f32.le", None;
    F32Ge = 0x60, "f32.ge", None;
    F64Eq = 0x61, "f64.eq", None;
    F64Ne = 0x62, "f64.ne", None;
    F64Lt = 0x63, "f64.lt", None;
    F64Gt = 0x64, "f64.gt", None;
    F64Le = 0x65, "f64.le", None;
    F64Ge = 0x66, "f64.ge", None;
    I32Clz = 0x67, "i32.clz", None;
    I32Ctz = 0x68, "i32.ctz", None;
    I32Popcnt = 0x69, "i32.popcnt", None;
    I32Add = 0x6a, "i32.add", None;
    I32Sub = 0x6b, "i32.sub", None;
    I32Mul = 0x6c, "i32.mul", None;
    I32DivS = 0x6d, "i32.div_s", None;
    I32DivU = 0x6e, "i32.div_u", None;
    I32RemS = 0x6f, "i32.rem_s", None;
    I32RemU = 0x70, "i32.rem_u", None;
    I32And = 0x71, "i32.and", None;
    I32Or = 0x72, "i32.or", None;
    I32Xor = 0x73, "i32.xor", None;
    I32Shl = 0x74, "i32.shl", None;
    I32ShrS = 0x75, "i32.shr_s", None;
    I32ShrU = 0x76, "i32.shr_u", None;
    I32Rotl = 0x77, "i32.rotl", None;
    I32Rotr = 0x78, "i32.rotr", None;
    I64Clz = 0x79, "i64.clz", None;
    I64Ctz = 0x7a, "i64.ctz", None;
    I64Popcnt = 0x7b, "i64.popcnt", None;
    I64Add = 0x7c, "i64.add", None;
    I64Sub = 0x7d, "i64.sub", None;
    I64Mul = 0x7e, "i64.mul", None;
    I64DivS = 0x7f, "i64.div_s", None;
    I64DivU = 0x80, "i64.div_u", None;
    I64RemS = 0x81, "i64.rem_s", None;
    I64RemU = 0x82, "i64.rem_u", None;
    I64And = 0x83, "i64.and", None;
    I64Or = 0x84, "i64.or", None;
    I64Xor = 0x85, "i64.xor", None;
    I64Shl = 0x86, "i64.shl", None;
    I64ShrS = 0x87, "i64.shr_s", None;
    I64ShrU = 0x88, "i64.shr_u", None;
    I64Rotl = 0x89, "i64.rotl", None;
    I64Rotr = 0x8a, "i64.rotr", None;
    F32Abs = 0x8b, "f32.abs", None;
    F32Neg = 0x8c, "f32.neg", None;
    F32Ceil = 0x8d, "f32.ceil", None;
    F32Floor = 0x8e, "f32.floor", None;
    F32Trunc = 0x8f, "f32.trunc", None;
    F32Nearest = 0x90, "f32.nearest", None;
    F32Sqrt = 0x91, "f32.sqrt", None;
    F32Add = 0x92, "f32.add", None;
    F32Sub = 0x93, "f32.sub", None;
    F32Mul = 0x94, "f32.mul", None;
    F32Div = 0x95, "f32.div", None;
    F32Min = 0x96, "f32.min", None;
    F32Max = 0x97, "f32.max", None;
    F32Copysign = 0x98, "f32.copysign", None;
    F64Abs = 0x99, "f64.abs", None;
    F64Neg = 0x9a, "f64.neg", None;
    F64Ceil = 0x9b, "f64.ceil", None;
    F64Floor = 0x9c, "f64.floor", None;
    F64Trunc = 0x9d, "f64.trunc", None;
    F64Nearest = 0x9e, "f64.nearest", None;
    F64Sqrt = 0x9f, "f64.sqrt", None;
    F64Add = 0xa0, "f64.add", None;
    F64Sub = 0xa1, "f64.sub", None;
    F64Mul = 0xa2, "f64.mul", None;
    F64Div = 0xa3, "f64.div", None;
    F64Min = 0xa4, "f64.min", None;
    F64Max = 0xa5, "f64.max", None;
    F64Copysign = 0xa6, "f64.copysign", None;
    I32WrapI64 = 0xa7, "i32.wrap_i64", None;
    I32TruncF32S = 0xa8, "i32.trunc_f32_s", None;
    I32TruncF32U = 0xa9, "i32.trunc_f32_u", None;
    I32TruncF64S = 0xaa, "i32.trunc_f64_s", None;
    I32TruncF64U = 0xab, "i32.trunc_f64_u", None;
    I64ExtendI32S = 0xac, "i64.extend_i32_s", None;
    I64ExtendI32U = 0xad, "i64.extend_i32_u", None;
    I64TruncF32S = 0xae, "i64.trunc_f32_s", None;
    I64TruncF32U = 0xaf, "i64.trunc_f32_u", None;
    I64TruncF64S = 0xb0, "i64.trunc_f64_s", None;
    I64TruncF64U = 0xb1, "i64.trunc_f64_u", None;
    F32ConvertI32S = 0xb2, "f32.convert_i32_s", None;
    F32ConvertI32U = 0xb3, "f32.convert_i32_u", None;
    F32ConvertI64S = 0xb4, "f32.convert_i64_s", None;
    F32ConvertI64U = 0xb5, "f32.convert_i64_u", None;
    F32DemoteF64 = 0xb6, "f32.demote_f64", None;
    F64ConvertI32S = 0xb7, "f64.convert_i32_s", None;
    F64ConvertI32U = 0xb8, "f64.convert_i32_u", None;
    F64ConvertI64S = 0xb9, "f64.convert_i64_s", None;
    F64ConvertI64U = 0xba, "f64.convert_i64_u", None;
    F64PromoteF32 = 0xbb, "f64.promote_f32", None;
    I32ReinterpretF32 = 0xbc, "i32.reinterpret_f32", None;
    I64ReinterpretF64 = 0xbd, "i64.reinterpret_f64", None;
    F32ReinterpretI32 = 0xbe, "f32.reinterpret_i32", None;
    F64ReinterpretI64 = 0xbf, "f64.reinterpret_i64", None;
    I32Extend8S = 0xc0, "i32.extend8_s", None;
    I32Extend16S = 0xc1, "i32.extend16_s", None;
    I64Extend8S = 0xc2, "i64.extend8_s", None;
    I64Extend16S = 0xc3, "i64.extend16_s", None;
    I64Extend32S = 0xc4, "i64.extend32_s", None;
    I32TruncSatF32S = 0xfc00, "i32.trunc_sat_f32_s", None;
    I32TruncSatF32U = 0xfc01, "i32.trunc_sat_f32_u", None;
    I32TruncSatF64S = 0xfc02, "i32.trunc_sat_f64_s", None;
    I32TruncSatF64U = 0xfc03, "i32.trunc_sat_f64_u", None;
    I64TruncSatF32S = 0xfc04, "i64.trunc_sat_f32_s", None;
    I64TruncSatF32U = 0xfc05, "i64.trunc_sat_f32_u", None;
    I64TruncSatF64S = 0xfc06, "i64.trunc_sat_f64_s", None;
    I64TruncSatF64U = 0xfc07, "i64.trunc_sat_f64_u", None;
    MemoryCopy = 0xfc0a, "memory.copy", MemoryCopy;
    MemoryFill = 0xfc0b, "memory.fill", Memory;
    MemAddr = 0x41, "<memory address>", MemAddr;
    TableIndex = 0x41, "<table index>", TableIndex;
}

/// The 8-byte operand of a MIR instruction; see [`Imm`].
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct MirData {
    /// First word.
    pub a: u32,
    /// Second word.
    pub b: u32,
}

impl MirData {
    /// An operand with only `a` set.
    pub fn a(a: u32) -> MirData {
        MirData { a, b: 0 }
    }

    /// A 64-bit operand split into `a` (low half) and `b` (high half), as [`Imm::I64`] and
    /// [`Imm::F64`] hold it.
    pub fn from_u64(v: u64) -> MirData {
        MirData {
            a: v as u32,
            b: (v >> 32) as u32,
        }
    }

    /// The 64-bit value `b << 32 | a`.
    pub fn wide(self) -> u64 {
        (u64::from(self.b) << 32) | u64::from(self.a)
    }
}

impl MirTag {
    /// The natural alignment (log2 of bytes) of a load or store; `None` for other instructions.
    pub fn natural_alignment(self) -> Option<u32> {
        use MirTag::*;
        Some(match self {
            I32Load8S | I32Load8U | I64Load8S | I64Load8U | I32Store8 | I64Store8 => 0,
            I32Load16S | I32Load16U | I64Load16S | I64Load16U | I32Store16 | I64Store16 => 1,
            I32Load | F32Load | I64Load32S | I64Load32U | I32Store | F32Store | I64Store32 => 2,
            I64Load | F64Load | I64Store | F64Store => 3,
            _ => return None,
        })
    }
}
