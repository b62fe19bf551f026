//! Instruction tags and their data encoding.
//!
//! Every instruction is a [`Tag`], an 8-byte [`Data`] and a result type. What `Data.a` and
//! `Data.b` mean depends on the tag's [`Form`]; operands that do not fit in 8 bytes live in
//! [`Air::extra`](crate::Air::extra). See the table on [`Form`].

macro_rules! tags {
    ($($variant:ident = $text:literal : $form:ident,)*) => {
        /// What an instruction does (IR.md 5.1).
        #[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
        #[repr(u8)]
        pub enum Tag {
            $(
                #[doc = concat!("`", $text, "`")]
                $variant,
            )*
        }

        impl Tag {
            /// Every tag.
            pub const ALL: &'static [Tag] = &[$(Tag::$variant),*];

            /// The instruction's name in IR text.
            pub fn name(self) -> &'static str {
                match self { $(Tag::$variant => $text,)* }
            }

            /// How the instruction's operands are written and stored.
            pub fn form(self) -> Form {
                match self { $(Tag::$variant => Form::$form,)* }
            }

            /// The tag with this name in IR text.
            pub fn from_name(name: &str) -> Option<Tag> {
                match name { $($text => Some(Tag::$variant),)* _ => None }
            }
        }
    };
}

tags! {
    // Parameters: not written in text; `a` = parameter index.
    Arg = "arg": Arg,

    Add = "add": Bin,
    Sub = "sub": Bin,
    Mul = "mul": Bin,
    AddWrap = "add_wrap": Bin,
    SubWrap = "sub_wrap": Bin,
    MulWrap = "mul_wrap": Bin,
    AddSat = "add_sat": Bin,
    SubSat = "sub_sat": Bin,
    MulSat = "mul_sat": Bin,
    ShlSat = "shl_sat": Bin,
    AddWithOverflow = "add_with_overflow": Bin,
    SubWithOverflow = "sub_with_overflow": Bin,
    MulWithOverflow = "mul_with_overflow": Bin,
    ShlWithOverflow = "shl_with_overflow": Bin,
    DivTrunc = "div_trunc": Bin,
    DivFloor = "div_floor": Bin,
    DivExact = "div_exact": Bin,
    DivFloat = "div_float": Bin,
    Rem = "rem": Bin,
    Mod = "mod": Bin,
    Min = "min": Bin,
    Max = "max": Bin,
    Neg = "neg": Un,
    Sqrt = "sqrt": Un,
    Floor = "floor": Un,
    Ceil = "ceil": Un,
    TruncFloat = "trunc_float": Un,
    Round = "round": Un,
    Fabs = "fabs": Un,

    BitAnd = "bit_and": Bin,
    BitOr = "bit_or": Bin,
    Xor = "xor": Bin,
    Not = "not": Un,
    BoolAnd = "bool_and": Bin,
    BoolOr = "bool_or": Bin,
    Shl = "shl": Bin,
    Shr = "shr": Bin,
    ShlExact = "shl_exact": Bin,
    ShrExact = "shr_exact": Bin,
    Clz = "clz": Un,
    Ctz = "ctz": Un,
    Popcount = "popcount": Un,
    ByteSwap = "byte_swap": Un,
    BitReverse = "bit_reverse": Un,

    CmpEq = "cmp_eq": Bin,
    CmpNeq = "cmp_neq": Bin,
    CmpLt = "cmp_lt": Bin,
    CmpLte = "cmp_lte": Bin,
    CmpGt = "cmp_gt": Bin,
    CmpGte = "cmp_gte": Bin,

    Intcast = "intcast": TyOp,
    Trunc = "trunc": TyOp,
    Fpext = "fpext": TyOp,
    Fptrunc = "fptrunc": TyOp,
    IntToFloat = "int_to_float": TyOp,
    FloatToInt = "float_to_int": TyOp,
    Bitcast = "bitcast": TyOp,
    PtrToInt = "ptrtoint": Un,
    IntToPtr = "inttoptr": TyOp,
    BoolToInt = "bool_to_int": Un,

    Block = "block": Block,
    Loop = "loop": Loop,
    Repeat = "repeat": Repeat,
    Br = "br": Br,
    CondBr = "cond_br": CondBr,
    SwitchBr = "switch_br": SwitchBr,
    Ret = "ret": Ret,
    RetPtr = "ret_ptr": NoOperands,
    RetLoad = "ret_load": Un,
    Unreach = "unreach": NoOperands,
    Trap = "trap": NoOperands,
    Call = "call": Call,
    CallAlwaysTail = "call_always_tail": Call,

    Alloc = "alloc": Alloc,
    Load = "load": Un,
    Store = "store": BinNoResult,
    Memset = "memset": Ternary,
    Memcpy = "memcpy": Ternary,
    StructFieldPtr = "struct_field_ptr": Field,
    StructFieldVal = "struct_field_val": Field,
    PtrElemPtr = "ptr_elem_ptr": Bin,
    PtrElemVal = "ptr_elem_val": Bin,
    ArrayElemVal = "array_elem_val": Bin,
    SliceElemPtr = "slice_elem_ptr": Bin,
    SliceElemVal = "slice_elem_val": Bin,
    SlicePtr = "slice_ptr": Un,
    SliceLen = "slice_len": Un,
    Slice = "slice": TyBin,
    ArrayToSlice = "array_to_slice": TyOp,
    PtrAdd = "ptr_add": Bin,
    PtrSub = "ptr_sub": Bin,
    AggregateInit = "aggregate_init": Aggregate,
    UnionInit = "union_init": UnionInit,
    GetUnionTag = "get_union_tag": Un,
    SetUnionTag = "set_union_tag": BinNoResult,

    IsNull = "is_null": Un,
    IsNonNull = "is_non_null": Un,
    IsNullPtr = "is_null_ptr": Un,
    IsNonNullPtr = "is_non_null_ptr": Un,
    OptionalPayload = "optional_payload": Un,
    OptionalPayloadPtr = "optional_payload_ptr": Un,
    OptionalPayloadPtrSet = "optional_payload_ptr_set": Un,
    WrapOptional = "wrap_optional": TyOp,

    IsErr = "is_err": Un,
    IsNonErr = "is_non_err": Un,
    IsErrPtr = "is_err_ptr": Un,
    IsNonErrPtr = "is_non_err_ptr": Un,
    UnwrapErrunionPayload = "unwrap_errunion_payload": Un,
    UnwrapErrunionErr = "unwrap_errunion_err": Un,
    UnwrapErrunionPayloadPtr = "unwrap_errunion_payload_ptr": Un,
    UnwrapErrunionErrPtr = "unwrap_errunion_err_ptr": Un,
    ErrunionPayloadPtrSet = "errunion_payload_ptr_set": Un,
    WrapErrunionPayload = "wrap_errunion_payload": TyOp,
    WrapErrunionErr = "wrap_errunion_err": TyOp,
    ErrorName = "error_name": Un,
    TagName = "tag_name": Un,

    WasmMemorySize = "wasm_memory_size": MemorySize,
    WasmMemoryGrow = "wasm_memory_grow": MemoryGrow,
    DbgStmt = "dbg_stmt": DbgStmt,
}

/// How an instruction is written in text and what its [`Data`] holds.
///
/// | form | text | `a` | `b` |
/// |---|---|---|---|
/// | `Arg` | (a parameter) | parameter index | - |
/// | `Bin` | `op %x, %y` | lhs [`Ref`](crate::Ref) | rhs `Ref` |
/// | `BinNoResult` | `store %p, %v` (no result) | first `Ref` | second `Ref` |
/// | `Un` | `op %x` | operand `Ref` | - |
/// | `TyOp` | `op T, %x` (result type T) | operand `Ref` | - |
/// | `TyBin` | `slice T, %p, %len` | first `Ref` | second `Ref` |
/// | `Ternary` | `memset %d, %b, %n` (no result) | extra index of 3 `Ref`s | - |
/// | `Field` | `struct_field_ptr %p, N` | operand `Ref` | field index |
/// | `Alloc` | `alloc T` (result `*T`) | - | - |
/// | `Aggregate` | `aggregate_init T, %a, ...` | extra index: count, then `Ref`s | - |
/// | `UnionInit` | `union_init T, N, %v` | field index | payload `Ref` |
/// | `Block` | `%b = block T { body }` | extra index of the body | - |
/// | `Loop` | `loop { body }` | extra index of the body | - |
/// | `Repeat` | `repeat [%l]` | loop instruction index | - |
/// | `Br` | `br %b[, %v]` | block instruction index | operand `Ref` or `Ref::NONE` |
/// | `CondBr` | `cond_br %c { } else { }` | condition `Ref` | extra: then body, else body (see [`CondBrExtra`](crate::CondBrExtra)) |
/// | `SwitchBr` | `switch_br %x { ... }` | operand `Ref` | extra (see [`SwitchBrExtra`](crate::SwitchBrExtra)) |
/// | `Ret` | `ret [%v]` | operand `Ref` or `Ref::NONE` | - |
/// | `NoOperands` | `unreach`, `trap`, `ret_ptr` | - | - |
/// | `Call` | `call @f(%a, ...)` | callee `Ref` | extra index: count, then arg `Ref`s |
/// | `MemorySize` | `wasm_memory_size N` | memory index | - |
/// | `MemoryGrow` | `wasm_memory_grow N, %d` | memory index | delta `Ref` |
/// | `DbgStmt` | `dbg_stmt LINE:COL` | line | column |
///
/// A body stored in extra is its length followed by that many instruction indices.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum Form {
    /// A parameter.
    Arg,
    /// Two operands with a result.
    Bin,
    /// Two operands, no result.
    BinNoResult,
    /// One operand.
    Un,
    /// A result type and one operand.
    TyOp,
    /// A result type and two operands.
    TyBin,
    /// Three operands in extra, no result.
    Ternary,
    /// An operand and a field index.
    Field,
    /// `alloc T`.
    Alloc,
    /// `aggregate_init`.
    Aggregate,
    /// `union_init`.
    UnionInit,
    /// `block`.
    Block,
    /// `loop`.
    Loop,
    /// `repeat`.
    Repeat,
    /// `br`.
    Br,
    /// `cond_br`.
    CondBr,
    /// `switch_br`.
    SwitchBr,
    /// `ret`.
    Ret,
    /// No operands.
    NoOperands,
    /// `call`.
    Call,
    /// `wasm_memory_size`.
    MemorySize,
    /// `wasm_memory_grow`.
    MemoryGrow,
    /// `dbg_stmt`.
    DbgStmt,
}

impl Tag {
    /// Whether control never continues to the next instruction of the same body.
    pub fn is_terminator(self) -> bool {
        matches!(
            self,
            Tag::Ret
                | Tag::RetLoad
                | Tag::Br
                | Tag::Repeat
                | Tag::Loop
                | Tag::CondBr
                | Tag::SwitchBr
                | Tag::Unreach
                | Tag::Trap
                | Tag::CallAlwaysTail
        )
    }

    /// Whether the instruction produces a value that can be named.
    pub fn has_result(self) -> bool {
        !matches!(
            self.form(),
            Form::BinNoResult
                | Form::Ternary
                | Form::Loop
                | Form::Repeat
                | Form::Br
                | Form::CondBr
                | Form::SwitchBr
                | Form::Ret
                | Form::DbgStmt
        ) && !matches!(self, Tag::Unreach | Tag::Trap | Tag::RetLoad)
    }
}

/// The 8-byte payload of an instruction; its meaning depends on the tag's [`Form`].
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct Data {
    /// First word.
    pub a: u32,
    /// Second word.
    pub b: u32,
}
