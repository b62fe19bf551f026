//! Types, interned in a [`TypePool`], with their ABI layout (IR.md section 3).
//!
//! A pool belongs to one [`Target`]: the layout of every type is computed once, when the type is
//! interned (or defined, for named types declared ahead of their definition), and stored beside
//! it, so that size, alignment and field offsets are array reads.

use crate::error::TypeError;
use crate::names::{Interner, NameId};
use crate::value::Int;
use std::collections::HashMap;
use std::fmt;

/// An interned type. Two equal ids are the same type.
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct TypeId(pub u32);

impl fmt::Display for TypeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t{}", self.0)
    }
}

/// The wasm target: pointer size 4 (wasm32) or 8 (wasm64).
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, Default)]
pub enum Target {
    /// 32-bit linear memory.
    #[default]
    Wasm32,
    /// 64-bit linear memory (memory64).
    Wasm64,
}

impl Target {
    /// The size and alignment of a pointer, in bytes.
    pub fn ptr_size(self) -> u64 {
        match self {
            Target::Wasm32 => 4,
            Target::Wasm64 => 8,
        }
    }

    /// The largest size a type may have: the size of the address space minus one byte
    /// (`u32::MAX` on wasm32).
    pub fn max_object_size(self) -> u64 {
        match self {
            Target::Wasm32 => u32::MAX as u64,
            Target::Wasm64 => u64::MAX,
        }
    }

    /// The target's name as written in IR text.
    pub fn name(self) -> &'static str {
        match self {
            Target::Wasm32 => "wasm32",
            Target::Wasm64 => "wasm64",
        }
    }
}

/// Signedness of an integer type.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum Signedness {
    /// `uN`.
    Unsigned,
    /// `iN`.
    Signed,
}

/// The IEEE float types.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum FloatType {
    /// binary16.
    F16,
    /// binary32.
    F32,
    /// binary64.
    F64,
    /// x87 80-bit extended.
    F80,
    /// binary128.
    F128,
}

impl FloatType {
    /// The number of bits.
    pub fn bits(self) -> u32 {
        match self {
            FloatType::F16 => 16,
            FloatType::F32 => 32,
            FloatType::F64 => 64,
            FloatType::F80 => 80,
            FloatType::F128 => 128,
        }
    }
}

/// The four pointer kinds.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum PtrSize {
    /// `*T`: one item.
    One,
    /// `[*]T`: many items, arithmetic allowed.
    Many,
    /// `[]T`: pointer and length.
    Slice,
    /// `[*c]T`: a C pointer.
    C,
}

/// Struct field order rules.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum ContainerLayout {
    /// `struct`: fields sorted by descending alignment.
    Auto,
    /// `extern struct`: declaration order (C layout).
    Extern,
}

/// Calling conventions (IR.md section 6).
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, Default)]
pub enum CallConv {
    /// wabe's own convention.
    #[default]
    Auto,
    /// The wasm Basic C ABI.
    C,
}

/// A named field of a struct or union.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Field {
    /// The field's name.
    pub name: NameId,
    /// The field's type.
    pub ty: TypeId,
}

/// A named value of an enum.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct EnumField {
    /// The name.
    pub name: NameId,
    /// The tag value.
    pub value: Int,
}

/// What a type is. Nominal types (declared with `type Name = struct ...`) carry their name, so
/// that two declarations with the same fields stay distinct.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum TypeKey {
    /// `void`.
    Void,
    /// `noreturn`.
    NoReturn,
    /// `bool`.
    Bool,
    /// `uN` / `iN`.
    Int {
        /// Signed or unsigned.
        signedness: Signedness,
        /// Bit width, 0 to 65535.
        bits: u16,
    },
    /// `usize`.
    Usize,
    /// `isize`.
    Isize,
    /// A float type.
    Float(FloatType),
    /// A pointer of any kind.
    Pointer {
        /// Which kind.
        size: PtrSize,
        /// Whether it points to const.
        is_const: bool,
        /// The pointee.
        child: TypeId,
    },
    /// `[N]T`.
    Array {
        /// N.
        len: u64,
        /// T.
        elem: TypeId,
    },
    /// `?T`.
    Optional(TypeId),
    /// `anyerror`.
    AnyError,
    /// `error{A, B}`.
    ErrorSet {
        /// The alias name, if declared with `type`.
        name: Option<NameId>,
        /// The error names, sorted by name id.
        names: Box<[NameId]>,
    },
    /// `E!T`.
    ErrorUnion {
        /// The error set.
        error: TypeId,
        /// The payload.
        payload: TypeId,
    },
    /// A struct.
    Struct {
        /// The declared name, for nominal structs.
        name: Option<NameId>,
        /// Field order rules.
        layout: ContainerLayout,
        /// Fields in declaration order.
        fields: Box<[Field]>,
    },
    /// An enum with an explicit integer tag type.
    Enum {
        /// The declared name.
        name: Option<NameId>,
        /// The integer tag type.
        tag: TypeId,
        /// The values in declaration order.
        fields: Box<[EnumField]>,
    },
    /// A bare (`tag: None`) or tagged union.
    Union {
        /// The declared name.
        name: Option<NameId>,
        /// For `union(enum)`, the enum type of the tag.
        tag: Option<TypeId>,
        /// Fields in declaration order.
        fields: Box<[Field]>,
    },
    /// A function type `fn (T, U) R`.
    Fn {
        /// Parameter types.
        params: Box<[TypeId]>,
        /// The result type.
        ret: TypeId,
        /// The calling convention.
        callconv: CallConv,
    },
    /// A named type reserved with [`TypePool::reserve`] and not yet defined.
    Forward(NameId),
}

/// What [`TypePool::ptr_info`] tells about a pointer type.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub struct PtrInfo {
    /// Which kind of pointer.
    pub size: PtrSize,
    /// Whether it points to const.
    pub is_const: bool,
    /// The pointee (the element type for many-item pointers and slices).
    pub child: TypeId,
}

/// Size and alignment of a type.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub struct Layout {
    /// ABI size in bytes.
    pub size: u64,
    /// ABI alignment in bytes (a power of two).
    pub align: u64,
}

#[derive(Clone, Debug)]
struct Info {
    layout: Layout,
    /// For structs and unions: the start of their field offsets in `TypePool::offsets`.
    offsets: u32,
    complete: bool,
}

/// The interned types of one module, for one target.
#[derive(Clone, Debug)]
pub struct TypePool {
    target: Target,
    keys: Vec<TypeKey>,
    infos: Vec<Info>,
    map: HashMap<TypeKey, TypeId, crate::names::FastBuildHasher>,
    offsets: Vec<u64>,
    /// Names of types, fields and errors (and, for the IR crate, of declarations).
    pub names: Interner,
    errors: indexmap::IndexSet<NameId>,
}

macro_rules! builtin_ids {
    ($($name:ident = $idx:expr => $key:expr;)*) => {
        impl TypeId {
            $(
                #[doc = concat!("The builtin type `", stringify!($name), "`.")]
                pub const $name: TypeId = TypeId($idx);
            )*
        }
        fn builtin_keys() -> Vec<TypeKey> {
            vec![$($key),*]
        }
    };
}

const fn int(signed: bool, bits: u16) -> TypeKey {
    TypeKey::Int {
        signedness: if signed {
            Signedness::Signed
        } else {
            Signedness::Unsigned
        },
        bits,
    }
}

builtin_ids! {
    VOID = 0 => TypeKey::Void;
    NORETURN = 1 => TypeKey::NoReturn;
    BOOL = 2 => TypeKey::Bool;
    U1 = 3 => int(false, 1);
    U8 = 4 => int(false, 8);
    U16 = 5 => int(false, 16);
    U32 = 6 => int(false, 32);
    U64 = 7 => int(false, 64);
    I8 = 8 => int(true, 8);
    I16 = 9 => int(true, 16);
    I32 = 10 => int(true, 32);
    I64 = 11 => int(true, 64);
    USIZE = 12 => TypeKey::Usize;
    ISIZE = 13 => TypeKey::Isize;
    F32 = 14 => TypeKey::Float(FloatType::F32);
    F64 = 15 => TypeKey::Float(FloatType::F64);
    ANYERROR = 16 => TypeKey::AnyError;
    U128 = 17 => int(false, 128);
    I128 = 18 => int(true, 128);
    F16 = 19 => TypeKey::Float(FloatType::F16);
    F80 = 20 => TypeKey::Float(FloatType::F80);
    F128 = 21 => TypeKey::Float(FloatType::F128);
    U0 = 22 => int(false, 0);
}

fn align_up(v: u64, a: u64) -> Option<u64> {
    v.checked_add(a - 1).map(|x| x & !(a - 1))
}

impl TypePool {
    /// A pool for `target` holding the builtin types (`TypeId::VOID`, `TypeId::U32`, ...).
    pub fn new(target: Target) -> Self {
        let mut pool = TypePool {
            target,
            keys: Vec::new(),
            infos: Vec::new(),
            map: HashMap::default(),
            offsets: Vec::new(),
            names: Interner::new(),
            errors: Default::default(),
        };
        for key in builtin_keys() {
            pool.intern(key).expect("builtin types are valid");
        }
        pool
    }

    /// The target this pool lays types out for.
    pub fn target(&self) -> Target {
        self.target
    }

    /// How many types are interned.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the pool is empty (never: builtins are always there).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// What `id` is.
    pub fn key(&self, id: TypeId) -> &TypeKey {
        &self.keys[id.0 as usize]
    }

    /// Interns a type, computing its layout. Children must be complete unless reached through a
    /// pointer.
    ///
    /// The key is normalized first (the names of an error set are sorted and deduplicated, so
    /// that `error{B, A}` and `error{A, B, A}` are one type) and checked: field and enum names
    /// must be distinct, enum values must fit the tag type and be distinct, a tagged union's tag
    /// must be an enum with one field per union field, an error union's error type must be an
    /// error set. A malformed key is a [`TypeError::Invalid`], never a panic.
    pub fn intern(&mut self, key: TypeKey) -> Result<TypeId, TypeError> {
        let key = normalize(key);
        if let Some(&id) = self.map.get(&key) {
            return Ok(id);
        }
        self.validate(&key)?;
        let (layout, offsets) = self.compute_layout(&key)?;
        if layout.size > self.target.max_object_size() {
            return Err(TypeError::TooLarge);
        }
        let id = TypeId(self.keys.len() as u32);
        let complete = !matches!(key, TypeKey::Forward(_));
        self.keys.push(key.clone());
        self.infos.push(Info {
            layout,
            offsets,
            complete,
        });
        self.map.insert(key, id);
        Ok(id)
    }

    /// Reserves a nominal type named `name`, to be defined later with [`TypePool::define`];
    /// pointers to it can be interned meanwhile.
    pub fn reserve(&mut self, name: NameId) -> TypeId {
        self.intern(TypeKey::Forward(name))
            .expect("forward types always intern")
    }

    /// Defines a reserved type. Its layout is computed now, so every type it holds by value must
    /// already be complete.
    ///
    /// Reserving is meant for nominal types (a struct, enum, union or error set carrying its
    /// name), which is what recursion through pointers needs. An alias of a structural type
    /// (`type P = *u8`) should be interned directly once its parts are known: if its key already
    /// has another id, defining the reserved id with it would give one type two ids, so that is
    /// an error.
    pub fn define(&mut self, id: TypeId, key: TypeKey) -> Result<(), TypeError> {
        let old = self.keys[id.0 as usize].clone();
        let TypeKey::Forward(fwd_name) = old else {
            return Err(TypeError::AlreadyDefined(self.display(id).to_string()));
        };
        let key = normalize(key);
        if let Some(&other) = self.map.get(&key) {
            if other != id {
                return Err(TypeError::Invalid(format!(
                    "cannot define `{}` as `{}`: that type already exists; intern an alias \
                     directly instead of reserving it",
                    self.names.resolve(fwd_name),
                    self.display(other)
                )));
            }
        }
        self.validate(&key)?;
        let (layout, offsets) = self.compute_layout(&key)?;
        if layout.size > self.target.max_object_size() {
            return Err(TypeError::TooLarge);
        }
        self.map.remove(&old);
        self.map.entry(key.clone()).or_insert(id);
        self.keys[id.0 as usize] = key;
        self.infos[id.0 as usize] = Info {
            layout,
            offsets,
            complete: true,
        };
        Ok(())
    }

    /// Whether the type is defined (not a pending forward declaration).
    pub fn is_complete(&self, id: TypeId) -> bool {
        self.infos[id.0 as usize].complete
    }

    /// Interns `uN`/`iN`.
    pub fn int(&mut self, signedness: Signedness, bits: u16) -> TypeId {
        self.intern(TypeKey::Int { signedness, bits })
            .expect("int types are valid")
    }

    /// Interns a pointer type.
    pub fn pointer(&mut self, size: PtrSize, is_const: bool, child: TypeId) -> TypeId {
        self.intern(TypeKey::Pointer {
            size,
            is_const,
            child,
        })
        .expect("pointer types are valid")
    }

    /// Interns `?T`.
    pub fn optional(&mut self, child: TypeId) -> Result<TypeId, TypeError> {
        self.intern(TypeKey::Optional(child))
    }

    /// The layout of a type.
    pub fn layout(&self, id: TypeId) -> Layout {
        self.infos[id.0 as usize].layout
    }

    /// ABI size in bytes.
    pub fn abi_size(&self, id: TypeId) -> u64 {
        self.infos[id.0 as usize].layout.size
    }

    /// ABI alignment in bytes.
    pub fn abi_align(&self, id: TypeId) -> u64 {
        self.infos[id.0 as usize].layout.align
    }

    /// Whether values of the type take any bytes (IR.md 3.1).
    pub fn has_runtime_bits(&self, id: TypeId) -> bool {
        self.abi_size(id) > 0
    }

    /// The byte offset of field `index` (declaration order) of a struct; for a union, the offset
    /// of the payload area (every field starts there); 0 for any other type.
    ///
    /// # Panics
    ///
    /// When `index` is not a field index of the struct.
    pub fn field_offset(&self, id: TypeId, index: usize) -> u64 {
        match self.key(id) {
            TypeKey::Struct { fields, .. } => {
                assert!(
                    index < fields.len(),
                    "field index {index} out of range for `{}`",
                    self.display(id)
                );
                self.offsets[self.infos[id.0 as usize].offsets as usize + index]
            }
            TypeKey::Union { .. } => self.union_payload_offset(id),
            _ => 0,
        }
    }

    /// For a union: the offset of the payload area.
    pub fn union_payload_offset(&self, id: TypeId) -> u64 {
        match self.key(id) {
            TypeKey::Union { .. } => self.offsets[self.infos[id.0 as usize].offsets as usize],
            _ => 0,
        }
    }

    /// For a tagged union: the offset of the tag.
    pub fn union_tag_offset(&self, id: TypeId) -> u64 {
        match self.key(id) {
            TypeKey::Union { .. } => self.offsets[self.infos[id.0 as usize].offsets as usize + 1],
            _ => 0,
        }
    }

    /// For `?T` stored in memory (not pointer-like): the offset of the has-value byte (1 = has a
    /// value, 0 = null), just after the payload. The payload itself is at offset 0.
    pub fn optional_flag_offset(&self, id: TypeId) -> u64 {
        match self.key(id) {
            TypeKey::Optional(child) => self.abi_size(*child),
            _ => 0,
        }
    }

    /// Whether `?T` of this child type is represented as a nullable pointer.
    pub fn is_pointer_like_optional_child(&self, child: TypeId) -> bool {
        matches!(
            self.key(child),
            TypeKey::Pointer {
                size: PtrSize::One | PtrSize::Many | PtrSize::C,
                ..
            }
        )
    }

    /// For `E!T`: `(error offset, payload offset)`. When the payload has no runtime bits the
    /// error union is just the error value, `(0, 0)`.
    pub fn error_union_offsets(&self, id: TypeId) -> (u64, u64) {
        let TypeKey::ErrorUnion { error, payload } = *self.key(id) else {
            return (0, 0);
        };
        let (psize, palign) = (self.abi_size(payload), self.abi_align(payload));
        if psize == 0 {
            return (0, 0);
        }
        let esize = self.abi_size(error);
        if palign >= 2 {
            (psize, 0)
        } else {
            (0, esize)
        }
    }

    /// Integer info `(signed, bits)` of an int, `usize`/`isize`, `bool` (u1), enum (its tag) or
    /// error set (u16); `None` otherwise.
    pub fn int_info(&self, id: TypeId) -> Option<(bool, u32)> {
        match *self.key(id) {
            TypeKey::Int { signedness, bits } => {
                Some((signedness == Signedness::Signed, bits as u32))
            }
            TypeKey::Usize => Some((false, self.target.ptr_size() as u32 * 8)),
            TypeKey::Isize => Some((true, self.target.ptr_size() as u32 * 8)),
            TypeKey::Bool => Some((false, 1)),
            TypeKey::Enum { tag, .. } => self.int_info(tag),
            TypeKey::AnyError | TypeKey::ErrorSet { .. } => Some((false, 16)),
            _ => None,
        }
    }

    /// The module-wide value of an error name (1-based; 0 means "no error").
    pub fn error_value(&mut self, name: NameId) -> u32 {
        let (i, _) = self.errors.insert_full(name);
        i as u32 + 1
    }

    /// The error names in value order (value = position + 1).
    pub fn error_names(&self) -> impl Iterator<Item = NameId> + '_ {
        self.errors.iter().copied()
    }

    /// Whether this type is an optional represented as a nullable pointer (`?*T`, `?[*]T`,
    /// `?[*c]T`, `?*const fn (..) R`): the optional is the pointer itself and 0 is null.
    pub fn is_pointer_like_optional(&self, id: TypeId) -> bool {
        match self.key(id) {
            TypeKey::Optional(child) => self.is_pointer_like_optional_child(*child),
            _ => false,
        }
    }

    /// The kind, constness and pointee of a pointer type (slices included); `None` for any other
    /// type.
    pub fn ptr_info(&self, id: TypeId) -> Option<PtrInfo> {
        match *self.key(id) {
            TypeKey::Pointer {
                size,
                is_const,
                child,
            } => Some(PtrInfo {
                size,
                is_const,
                child,
            }),
            _ => None,
        }
    }

    /// The type a pointer points to (the element type of many-item pointers and slices), the
    /// payload of an optional, or the element type of an array; `None` for any other type.
    pub fn child_type(&self, id: TypeId) -> Option<TypeId> {
        match *self.key(id) {
            TypeKey::Pointer { child, .. } | TypeKey::Optional(child) => Some(child),
            TypeKey::Array { elem, .. } => Some(elem),
            _ => None,
        }
    }

    /// The length `N` of an array type `[N]T`.
    pub fn array_len(&self, id: TypeId) -> Option<u64> {
        match *self.key(id) {
            TypeKey::Array { len, .. } => Some(len),
            _ => None,
        }
    }

    /// The `(error set, payload)` types of an error union `E!T`.
    pub fn error_union_types(&self, id: TypeId) -> Option<(TypeId, TypeId)> {
        match *self.key(id) {
            TypeKey::ErrorUnion { error, payload } => Some((error, payload)),
            _ => None,
        }
    }

    /// The parameters, result and calling convention of a function type.
    pub fn fn_info(&self, id: TypeId) -> Option<(&[TypeId], TypeId, CallConv)> {
        match self.key(id) {
            TypeKey::Fn {
                params,
                ret,
                callconv,
            } => Some((params, *ret, *callconv)),
            _ => None,
        }
    }

    /// The fields of a struct, in declaration order; empty for any other type.
    pub fn struct_fields(&self, id: TypeId) -> &[Field] {
        match self.key(id) {
            TypeKey::Struct { fields, .. } => fields,
            _ => &[],
        }
    }

    /// The fields of a union, in declaration order; empty for any other type.
    pub fn union_fields(&self, id: TypeId) -> &[Field] {
        match self.key(id) {
            TypeKey::Union { fields, .. } => fields,
            _ => &[],
        }
    }

    /// The type of field `index` (declaration order) of a struct or union.
    pub fn field_type(&self, id: TypeId, index: usize) -> Option<TypeId> {
        match self.key(id) {
            TypeKey::Struct { fields, .. } | TypeKey::Union { fields, .. } => {
                fields.get(index).map(|f| f.ty)
            }
            _ => None,
        }
    }

    /// The declaration-order index of the field named `name` of a struct or union.
    pub fn field_index(&self, id: TypeId, name: NameId) -> Option<usize> {
        match self.key(id) {
            TypeKey::Struct { fields, .. } | TypeKey::Union { fields, .. } => {
                fields.iter().position(|f| f.name == name)
            }
            _ => None,
        }
    }

    /// The field indices of a struct in memory order (ascending offset). For an `extern struct`
    /// this is declaration order; for an auto struct, descending alignment with ties in
    /// declaration order (IR.md 3.1).
    pub fn struct_field_order(&self, id: TypeId) -> Vec<usize> {
        let fields = self.struct_fields(id);
        let mut order: Vec<usize> = (0..fields.len()).collect();
        if let TypeKey::Struct {
            layout: ContainerLayout::Auto,
            ..
        } = self.key(id)
        {
            order.sort_by_key(|&i| std::cmp::Reverse(self.abi_align(fields[i].ty)));
        }
        order
    }

    /// The values of an enum, in declaration order; empty for any other type.
    pub fn enum_fields(&self, id: TypeId) -> &[EnumField] {
        match self.key(id) {
            TypeKey::Enum { fields, .. } => fields,
            _ => &[],
        }
    }

    /// The tag value of the enum field named `name`.
    pub fn enum_field_value(&self, id: TypeId, name: NameId) -> Option<&Int> {
        self.enum_fields(id)
            .iter()
            .find(|f| f.name == name)
            .map(|f| &f.value)
    }

    /// The integer tag type of an enum.
    pub fn enum_tag_type(&self, id: TypeId) -> Option<TypeId> {
        match *self.key(id) {
            TypeKey::Enum { tag, .. } => Some(tag),
            _ => None,
        }
    }

    /// The tag enum of a tagged union (`None` for a bare union or any other type).
    pub fn union_tag_type(&self, id: TypeId) -> Option<TypeId> {
        match *self.key(id) {
            TypeKey::Union { tag, .. } => tag,
            _ => None,
        }
    }

    /// The tag value that selects field `index` of a tagged union: the value of the tag enum's
    /// field with the same name.
    pub fn union_field_tag(&self, id: TypeId, index: usize) -> Option<&Int> {
        let tag = self.union_tag_type(id)?;
        let name = self.union_fields(id).get(index)?.name;
        self.enum_field_value(tag, name)
    }

    /// Interns the tag enum of `union(enum)` with these field names (IR.md 3): the fields are
    /// numbered 0, 1, 2, ... and the tag type is the smallest unsigned integer holding the
    /// largest number (`u0` for one field, `u1` for two).
    pub fn auto_tag_enum(&mut self, names: &[NameId]) -> Result<TypeId, TypeError> {
        let n = names.len() as u64;
        let bits = if n <= 1 {
            0
        } else {
            64 - (n - 1).leading_zeros()
        } as u16;
        let tag = self.int(Signedness::Unsigned, bits);
        let fields = names
            .iter()
            .enumerate()
            .map(|(i, &name)| EnumField {
                name,
                value: Int::from_i128(i as i128),
            })
            .collect();
        self.intern(TypeKey::Enum {
            name: None,
            tag,
            fields,
        })
    }

    /// Checks the rules of [`TypePool::intern`] that the layout computation does not.
    fn validate(&self, key: &TypeKey) -> Result<(), TypeError> {
        let dup_names = |what: &str, names: &mut dyn Iterator<Item = NameId>| {
            let mut seen = std::collections::HashSet::new();
            for n in names {
                if !seen.insert(n) {
                    return Err(TypeError::Invalid(format!(
                        "duplicate {what} `{}`",
                        self.names.resolve(n)
                    )));
                }
            }
            Ok(())
        };
        match key {
            TypeKey::Struct { fields, .. } => {
                dup_names("field", &mut fields.iter().map(|f| f.name))?;
            }
            TypeKey::Union { fields, tag, .. } => {
                dup_names("field", &mut fields.iter().map(|f| f.name))?;
                if let Some(tag) = *tag {
                    let TypeKey::Enum {
                        fields: tag_fields, ..
                    } = self.key(tag)
                    else {
                        return Err(TypeError::Invalid(format!(
                            "the tag of a tagged union must be an enum, not `{}`",
                            self.display(tag)
                        )));
                    };
                    let names_tag = |n: NameId| tag_fields.iter().any(|t| t.name == n);
                    if let Some(f) = fields.iter().find(|f| !names_tag(f.name)) {
                        return Err(TypeError::Invalid(format!(
                            "union field `{}` has no value in the tag enum `{}`",
                            self.names.resolve(f.name),
                            self.display(tag)
                        )));
                    }
                    if tag_fields.len() != fields.len() {
                        return Err(TypeError::Invalid(format!(
                            "the tag enum `{}` has {} values for {} union fields",
                            self.display(tag),
                            tag_fields.len(),
                            fields.len()
                        )));
                    }
                }
            }
            TypeKey::Enum { fields, tag, .. } => {
                dup_names("enum field", &mut fields.iter().map(|f| f.name))?;
                if let Some((signed, bits)) = self.int_info(*tag) {
                    let mut seen = std::collections::HashSet::new();
                    for f in fields.iter() {
                        if !f.value.fits(signed, bits) {
                            return Err(TypeError::Invalid(format!(
                                "enum value `{}` = {} does not fit the tag type `{}`",
                                self.names.resolve(f.name),
                                f.value,
                                self.display(*tag)
                            )));
                        }
                        if !seen.insert(&f.value) {
                            return Err(TypeError::Invalid(format!(
                                "enum value `{}` = {} is used twice",
                                self.names.resolve(f.name),
                                f.value
                            )));
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn check_complete(&self, id: TypeId) -> Result<(), TypeError> {
        if self.infos[id.0 as usize].complete {
            Ok(())
        } else {
            Err(TypeError::Incomplete(self.display(id).to_string()))
        }
    }

    fn compute_layout(&mut self, key: &TypeKey) -> Result<(Layout, u32), TypeError> {
        let ptr = self.target.ptr_size();
        let l = |size, align| Layout { size, align };
        let too_big = || TypeError::TooLarge;
        let layout = match key {
            TypeKey::Void | TypeKey::NoReturn | TypeKey::Fn { .. } | TypeKey::Forward(_) => l(0, 1),
            TypeKey::Bool => l(1, 1),
            TypeKey::Int { bits, .. } => int_layout(*bits as u64),
            TypeKey::Usize | TypeKey::Isize => l(ptr, ptr),
            TypeKey::Float(f) => match f {
                FloatType::F16 => l(2, 2),
                FloatType::F32 => l(4, 4),
                FloatType::F64 => l(8, 8),
                FloatType::F80 | FloatType::F128 => l(16, 16),
            },
            TypeKey::Pointer {
                size: PtrSize::Slice,
                ..
            } => l(2 * ptr, ptr),
            TypeKey::Pointer { .. } => l(ptr, ptr),
            TypeKey::Array { len, elem } => {
                self.check_complete(*elem)?;
                let e = self.layout(*elem);
                l(len.checked_mul(e.size).ok_or_else(too_big)?, e.align)
            }
            TypeKey::Optional(child) => {
                self.check_complete(*child)?;
                if self.is_pointer_like_optional_child(*child) {
                    l(ptr, ptr)
                } else {
                    let c = self.layout(*child);
                    if c.size == 0 {
                        l(1, 1)
                    } else {
                        l(align_up(c.size + 1, c.align).ok_or_else(too_big)?, c.align)
                    }
                }
            }
            TypeKey::AnyError => l(2, 2),
            TypeKey::ErrorSet { names, .. } => {
                if names.is_empty() {
                    l(0, 1)
                } else {
                    l(2, 2)
                }
            }
            TypeKey::ErrorUnion { error, payload } => {
                self.check_complete(*error)?;
                self.check_complete(*payload)?;
                if !matches!(
                    self.key(*error),
                    TypeKey::AnyError | TypeKey::ErrorSet { .. }
                ) {
                    return Err(TypeError::Invalid(
                        "the error type of an error union must be an error set".into(),
                    ));
                }
                let e = self.layout(*error);
                let p = self.layout(*payload);
                if p.size == 0 {
                    e
                } else {
                    let align = e.align.max(p.align);
                    l(align_up(p.size + e.size, align).ok_or_else(too_big)?, align)
                }
            }
            TypeKey::Struct { layout, fields, .. } => {
                for f in fields.iter() {
                    self.check_complete(f.ty)?;
                }
                let mut order: Vec<usize> = (0..fields.len()).collect();
                if *layout == ContainerLayout::Auto {
                    // Stable sort: ties keep declaration order.
                    order.sort_by_key(|&i| std::cmp::Reverse(self.abi_align(fields[i].ty)));
                }
                let start = self.offsets.len();
                self.offsets.resize(start + fields.len(), 0);
                let mut off = 0u64;
                let mut align = 1u64;
                for i in order {
                    let f = self.layout(fields[i].ty);
                    off = align_up(off, f.align).ok_or_else(too_big)?;
                    self.offsets[start + i] = off;
                    off = off.checked_add(f.size).ok_or_else(too_big)?;
                    align = align.max(f.align);
                }
                return Ok((
                    l(align_up(off, align).ok_or_else(too_big)?, align),
                    start as u32,
                ));
            }
            TypeKey::Enum { tag, .. } => {
                if self.int_info(*tag).is_none()
                    || !matches!(
                        self.key(*tag),
                        TypeKey::Int { .. } | TypeKey::Usize | TypeKey::Isize
                    )
                {
                    return Err(TypeError::Invalid(
                        "the tag type of an enum must be an integer type".into(),
                    ));
                }
                self.layout(*tag)
            }
            TypeKey::Union { tag, fields, .. } => {
                let mut size = 0u64;
                let mut align = 1u64;
                for f in fields.iter() {
                    self.check_complete(f.ty)?;
                    let fl = self.layout(f.ty);
                    size = size.max(fl.size);
                    align = align.max(fl.align);
                }
                let payload_size = align_up(size, align).ok_or_else(too_big)?;
                let start = self.offsets.len() as u32;
                let (payload_off, tag_off, total, talign) = match tag {
                    None => (0, 0, payload_size, align),
                    Some(t) => {
                        self.check_complete(*t)?;
                        let tl = self.layout(*t);
                        let a = align.max(tl.align);
                        if tl.align > align {
                            // Tag first.
                            let p = align_up(tl.size, align).ok_or_else(too_big)?;
                            (p, 0, align_up(p + payload_size, a).ok_or_else(too_big)?, a)
                        } else {
                            (
                                0,
                                payload_size,
                                align_up(payload_size + tl.size, a).ok_or_else(too_big)?,
                                a,
                            )
                        }
                    }
                };
                self.offsets.push(payload_off);
                self.offsets.push(tag_off);
                return Ok((l(total, talign), start));
            }
        };
        Ok((layout, u32::MAX))
    }

    /// A printable form of a type, as written in IR text (`?*const u8`, `Vec3`).
    pub fn display(&self, id: TypeId) -> TypeDisplay<'_> {
        TypeDisplay { pool: self, id }
    }
}

/// Puts a key in canonical form: error-set names sorted and without duplicates.
fn normalize(key: TypeKey) -> TypeKey {
    match key {
        TypeKey::ErrorSet { name, names } => {
            let mut names = names.into_vec();
            names.sort_unstable();
            names.dedup();
            TypeKey::ErrorSet {
                name,
                names: names.into(),
            }
        }
        other => other,
    }
}

fn int_layout(bits: u64) -> Layout {
    match bits {
        0 => Layout { size: 0, align: 1 },
        1..=8 => Layout { size: 1, align: 1 },
        9..=16 => Layout { size: 2, align: 2 },
        17..=32 => Layout { size: 4, align: 4 },
        33..=64 => Layout { size: 8, align: 8 },
        _ => Layout {
            size: bits.div_ceil(128) * 16,
            align: 16,
        },
    }
}

/// Displays a type in IR syntax; see [`TypePool::display`].
pub struct TypeDisplay<'a> {
    pool: &'a TypePool,
    id: TypeId,
}

impl fmt::Display for TypeDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_type(self.pool, self.id, f, true)
    }
}

/// Writes a type; `named` prints nominal types by name (otherwise their full definition).
pub fn write_type(pool: &TypePool, id: TypeId, f: &mut dyn fmt::Write, named: bool) -> fmt::Result {
    let names = &pool.names;
    let d = |t: TypeId| TypeDisplay { pool, id: t };
    match pool.key(id) {
        TypeKey::Void => write!(f, "void"),
        TypeKey::NoReturn => write!(f, "noreturn"),
        TypeKey::Bool => write!(f, "bool"),
        TypeKey::Int { signedness, bits } => {
            write!(
                f,
                "{}{}",
                if *signedness == Signedness::Signed {
                    'i'
                } else {
                    'u'
                },
                bits
            )
        }
        TypeKey::Usize => write!(f, "usize"),
        TypeKey::Isize => write!(f, "isize"),
        TypeKey::Float(t) => write!(f, "f{}", t.bits()),
        TypeKey::Pointer {
            size,
            is_const,
            child,
        } => {
            let p = match size {
                PtrSize::One => "*",
                PtrSize::Many => "[*]",
                PtrSize::Slice => "[]",
                PtrSize::C => "[*c]",
            };
            write!(
                f,
                "{p}{}{}",
                if *is_const { "const " } else { "" },
                d(*child)
            )
        }
        TypeKey::Array { len, elem } => write!(f, "[{len}]{}", d(*elem)),
        TypeKey::Optional(c) => write!(f, "?{}", d(*c)),
        TypeKey::AnyError => write!(f, "anyerror"),
        TypeKey::ErrorSet { name: Some(n), .. } if named => write!(f, "{}", names.resolve(*n)),
        TypeKey::ErrorSet { names: errs, .. } => {
            write!(f, "error{{")?;
            for (i, e) in errs.iter().enumerate() {
                write!(f, "{}{}", if i > 0 { ", " } else { "" }, names.resolve(*e))?;
            }
            write!(f, "}}")
        }
        TypeKey::ErrorUnion { error, payload } => write!(f, "{}!{}", d(*error), d(*payload)),
        TypeKey::Struct { name: Some(n), .. }
        | TypeKey::Enum { name: Some(n), .. }
        | TypeKey::Union { name: Some(n), .. }
            if named =>
        {
            write!(f, "{}", names.resolve(*n))
        }
        TypeKey::Struct { layout, fields, .. } => {
            if *layout == ContainerLayout::Extern {
                write!(f, "extern ")?;
            }
            write!(f, "struct {{")?;
            for (i, fl) in fields.iter().enumerate() {
                write!(
                    f,
                    "{} {}: {}",
                    if i > 0 { "," } else { "" },
                    names.resolve(fl.name),
                    d(fl.ty)
                )?;
            }
            write!(f, " }}")
        }
        TypeKey::Enum { tag, fields, .. } => {
            write!(f, "enum({}) {{", d(*tag))?;
            for (i, fl) in fields.iter().enumerate() {
                write!(
                    f,
                    "{} {} = {}",
                    if i > 0 { "," } else { "" },
                    names.resolve(fl.name),
                    fl.value
                )?;
            }
            write!(f, " }}")
        }
        TypeKey::Union { tag, fields, .. } => {
            write!(f, "union{} {{", if tag.is_some() { "(enum)" } else { "" })?;
            for (i, fl) in fields.iter().enumerate() {
                write!(
                    f,
                    "{} {}: {}",
                    if i > 0 { "," } else { "" },
                    names.resolve(fl.name),
                    d(fl.ty)
                )?;
            }
            write!(f, " }}")
        }
        TypeKey::Fn {
            params,
            ret,
            callconv,
        } => {
            write!(f, "fn (")?;
            for (i, p) in params.iter().enumerate() {
                write!(f, "{}{}", if i > 0 { ", " } else { "" }, d(*p))?;
            }
            write!(f, ") {}", d(*ret))?;
            if *callconv == CallConv::C {
                write!(f, " callconv(c)")?;
            }
            Ok(())
        }
        TypeKey::Forward(n) => write!(f, "{}", names.resolve(*n)),
    }
}
