//! Properties over randomly generated types, nested up to depth 4.

use proptest::prelude::*;
use wabe_types::{
    CallConv, ContainerLayout, EnumField, Field, FloatType, Int, PtrSize, Signedness, Target,
    TypeId, TypeKey, TypePool, Value,
};

/// A type tree, interned into a pool per target with [`build`].
#[derive(Clone, Debug)]
enum Desc {
    Int(bool, u16),
    Usize,
    Bool,
    Void,
    Float(FloatType),
    AnyError,
    ErrorSet(u8),
    Enum(u16, u8),
    Ptr(PtrSize, Box<Desc>),
    Array(u64, Box<Desc>),
    Optional(Box<Desc>),
    ErrorUnion(Box<Desc>),
    Struct(bool, Vec<Desc>),
    Union(bool, Vec<Desc>),
}

impl Desc {
    /// Whether the layout can depend on the pointer size.
    fn target_dependent(&self) -> bool {
        match self {
            Desc::Usize | Desc::Ptr(..) => true,
            Desc::Array(_, d) | Desc::Optional(d) | Desc::ErrorUnion(d) => d.target_dependent(),
            Desc::Struct(_, fs) | Desc::Union(_, fs) => fs.iter().any(Desc::target_dependent),
            _ => false,
        }
    }
}

fn leaf() -> impl Strategy<Value = Desc> {
    prop_oneof![
        (
            any::<bool>(),
            prop_oneof![0u16..=70, Just(128), 100u16..=300]
        )
            .prop_map(|(s, b)| Desc::Int(s, b)),
        Just(Desc::Usize),
        Just(Desc::Bool),
        Just(Desc::Void),
        prop_oneof![
            Just(FloatType::F16),
            Just(FloatType::F32),
            Just(FloatType::F64),
            Just(FloatType::F80),
            Just(FloatType::F128),
        ]
        .prop_map(Desc::Float),
        Just(Desc::AnyError),
        (0u8..3).prop_map(Desc::ErrorSet),
        (
            prop_oneof![Just(8u16), Just(16), Just(32), Just(64), Just(128)],
            1u8..5
        )
            .prop_map(|(b, n)| Desc::Enum(b, n)),
    ]
}

fn desc() -> impl Strategy<Value = Desc> {
    leaf().prop_recursive(4, 48, 5, |inner| {
        let size = prop_oneof![
            Just(PtrSize::One),
            Just(PtrSize::Many),
            Just(PtrSize::Slice),
            Just(PtrSize::C)
        ];
        prop_oneof![
            (size, inner.clone()).prop_map(|(s, d)| Desc::Ptr(s, Box::new(d))),
            (0u64..4, inner.clone()).prop_map(|(n, d)| Desc::Array(n, Box::new(d))),
            inner.clone().prop_map(|d| Desc::Optional(Box::new(d))),
            inner.clone().prop_map(|d| Desc::ErrorUnion(Box::new(d))),
            (any::<bool>(), prop::collection::vec(inner.clone(), 0..5))
                .prop_map(|(e, fs)| Desc::Struct(e, fs)),
            (any::<bool>(), prop::collection::vec(inner, 1..4))
                .prop_map(|(t, fs)| Desc::Union(t, fs)),
        ]
    })
}

fn names(pool: &mut TypePool, n: usize) -> Vec<wabe_types::NameId> {
    (0..n)
        .map(|i| pool.names.intern(&format!("f{i}")))
        .collect()
}

fn build(pool: &mut TypePool, d: &Desc) -> TypeId {
    let key = match d {
        Desc::Int(s, b) => TypeKey::Int {
            signedness: if *s {
                Signedness::Signed
            } else {
                Signedness::Unsigned
            },
            bits: *b,
        },
        Desc::Usize => TypeKey::Usize,
        Desc::Bool => TypeKey::Bool,
        Desc::Void => TypeKey::Void,
        Desc::Float(f) => TypeKey::Float(*f),
        Desc::AnyError => TypeKey::AnyError,
        Desc::ErrorSet(n) => TypeKey::ErrorSet {
            name: None,
            names: names(pool, *n as usize).into(),
        },
        Desc::Enum(bits, n) => {
            let tag = pool.int(Signedness::Unsigned, *bits);
            let fields = names(pool, *n as usize)
                .into_iter()
                .enumerate()
                .map(|(i, name)| EnumField {
                    name,
                    value: Int::from_i128(i as i128 * 3),
                })
                .collect();
            TypeKey::Enum {
                name: None,
                tag,
                fields,
            }
        }
        Desc::Ptr(size, c) => {
            let child = build(pool, c);
            TypeKey::Pointer {
                size: *size,
                is_const: false,
                child,
            }
        }
        Desc::Array(len, c) => TypeKey::Array {
            len: *len,
            elem: build(pool, c),
        },
        Desc::Optional(c) => TypeKey::Optional(build(pool, c)),
        Desc::ErrorUnion(c) => TypeKey::ErrorUnion {
            error: TypeId::ANYERROR,
            payload: build(pool, c),
        },
        Desc::Struct(ext, fs) => {
            let tys: Vec<TypeId> = fs.iter().map(|f| build(pool, f)).collect();
            let fields = names(pool, tys.len())
                .into_iter()
                .zip(tys)
                .map(|(name, ty)| Field { name, ty })
                .collect();
            let layout = if *ext {
                ContainerLayout::Extern
            } else {
                ContainerLayout::Auto
            };
            TypeKey::Struct {
                name: None,
                layout,
                fields,
            }
        }
        Desc::Union(tagged, fs) => {
            let tys: Vec<TypeId> = fs.iter().map(|f| build(pool, f)).collect();
            let ns = names(pool, tys.len());
            let tag = tagged.then(|| pool.auto_tag_enum(&ns).unwrap());
            let fields = ns
                .into_iter()
                .zip(tys)
                .map(|(name, ty)| Field { name, ty })
                .collect();
            TypeKey::Union {
                name: None,
                tag,
                fields,
            }
        }
    };
    pool.intern(key).unwrap()
}

/// Every type reachable from `ty` by value (the type itself included).
fn by_value_parts(pool: &TypePool, ty: TypeId, out: &mut Vec<TypeId>) {
    out.push(ty);
    match pool.key(ty).clone() {
        TypeKey::Array { elem, .. } => by_value_parts(pool, elem, out),
        TypeKey::Optional(c) => by_value_parts(pool, c, out),
        TypeKey::ErrorUnion { payload, .. } => by_value_parts(pool, payload, out),
        TypeKey::Struct { fields, .. } | TypeKey::Union { fields, .. } => {
            for f in fields.iter() {
                by_value_parts(pool, f.ty, out);
            }
        }
        TypeKey::Pointer { child, .. } => by_value_parts(pool, child, out),
        _ => {}
    }
}

/// The byte ranges `(offset, size, align)` of the parts of a type that must not overlap.
fn regions(pool: &TypePool, ty: TypeId) -> Vec<(u64, u64, u64)> {
    let l = |t: TypeId| (pool.abi_size(t), pool.abi_align(t));
    match pool.key(ty) {
        TypeKey::Struct { fields, .. } => fields
            .iter()
            .enumerate()
            .map(|(i, f)| (pool.field_offset(ty, i), l(f.ty).0, l(f.ty).1))
            .collect(),
        TypeKey::Union { fields, tag, .. } => {
            let payload = fields.iter().map(|f| l(f.ty).0).max().unwrap_or(0);
            let palign = fields.iter().map(|f| l(f.ty).1).max().unwrap_or(1);
            let mut r = vec![(pool.union_payload_offset(ty), payload, palign)];
            if let Some(t) = tag {
                r.push((pool.union_tag_offset(ty), l(*t).0, l(*t).1));
            }
            r
        }
        TypeKey::Optional(c) if !pool.is_pointer_like_optional(ty) => {
            vec![(0, l(*c).0, l(*c).1), (pool.optional_flag_offset(ty), 1, 1)]
        }
        TypeKey::ErrorUnion { error, payload } if pool.has_runtime_bits(*payload) => {
            let (e, p) = pool.error_union_offsets(ty);
            vec![
                (e, l(*error).0, l(*error).1),
                (p, l(*payload).0, l(*payload).1),
            ]
        }
        _ => Vec::new(),
    }
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn size_and_alignment(d in desc()) {
        for target in [Target::Wasm32, Target::Wasm64] {
            let mut pool = TypePool::new(target);
            let root = build(&mut pool, &d);
            let mut all = Vec::new();
            by_value_parts(&pool, root, &mut all);
            for t in all {
                let (size, align) = (pool.abi_size(t), pool.abi_align(t));
                prop_assert!(align.is_power_of_two(), "{}: align {}", pool.display(t), align);
                let shown = pool.display(t);
                prop_assert_eq!(size % align, 0, "{}: size {} align {}", shown, size, align);
                prop_assert_eq!(pool.has_runtime_bits(t), size > 0);
                if pool.is_by_ref(t) {
                    prop_assert!(pool.has_runtime_bits(t), "{} is by-ref without bits", shown);
                }
                prop_assert_eq!(pool.valtype(t).is_some(), pool.has_runtime_bits(t));
            }
        }
    }

    #[test]
    fn parts_do_not_overlap_and_fit(d in desc()) {
        let mut pool = TypePool::new(Target::Wasm32);
        let root = build(&mut pool, &d);
        let mut all = Vec::new();
        by_value_parts(&pool, root, &mut all);
        for t in all {
            let size = pool.abi_size(t);
            let mut rs = regions(&pool, t);
            let shown = pool.display(t);
            for &(off, len, align) in &rs {
                prop_assert!(off + len <= size, "{}: part {}+{} beyond {}", shown, off, len, size);
                prop_assert_eq!(off % align, 0, "{}: part at {} not aligned {}", shown, off, align);
            }
            rs.retain(|r| r.1 > 0);
            rs.sort();
            for w in rs.windows(2) {
                prop_assert!(w[0].0 + w[0].1 <= w[1].0, "{}: parts {:?} overlap", shown, w);
            }
        }
    }

    #[test]
    fn wasm64_differs_only_through_pointers(d in desc()) {
        let mut p32 = TypePool::new(Target::Wasm32);
        let mut p64 = TypePool::new(Target::Wasm64);
        let (t32, t64) = (build(&mut p32, &d), build(&mut p64, &d));
        if !d.target_dependent() {
            prop_assert_eq!(p32.layout(t32), p64.layout(t64));
            prop_assert_eq!(regions(&p32, t32), regions(&p64, t64));
            prop_assert_eq!(p32.is_by_ref(t32), p64.is_by_ref(t64));
            prop_assert_eq!(p32.c_abi_class(t32), p64.c_abi_class(t64));
            if !p32.is_by_ref(t32) {
                prop_assert_eq!(p32.valtype(t32), p64.valtype(t64));
            }
        }
    }

    #[test]
    fn lowered_signatures_have_at_most_one_result(
        params in prop::collection::vec(desc(), 0..4),
        ret in desc(),
        c in any::<bool>(),
        wasm64 in any::<bool>(),
    ) {
        let mut pool = TypePool::new(if wasm64 { Target::Wasm64 } else { Target::Wasm32 });
        let params: Vec<TypeId> = params.iter().map(|d| build(&mut pool, d)).collect();
        let ret = build(&mut pool, &ret);
        let callconv = if c { CallConv::C } else { CallConv::Auto };
        let f = pool.intern(TypeKey::Fn { params: params.clone().into(), ret, callconv }).unwrap();
        let sig = wabe_types::lower_fn_type(&pool, f).unwrap();
        prop_assert!(sig.results.len() <= 1);
        prop_assert_eq!(sig.param_map.len(), params.len());
        let count: usize = sig.param_map.iter().map(|p| p.wasm_count()).sum();
        prop_assert_eq!(sig.params.len(), count + usize::from(sig.has_sret()));
        prop_assert_eq!(sig.results.is_empty(), sig.has_sret() || !pool.has_runtime_bits(ret));
        for (i, &p) in params.iter().enumerate() {
            prop_assert_eq!(sig.wasm_param_index(i).is_some(), pool.has_runtime_bits(p));
        }
    }

    #[test]
    fn zero_values_check(d in desc()) {
        let mut pool = TypePool::new(Target::Wasm32);
        let t = build(&mut pool, &d);
        prop_assert_eq!(pool.check_value(t, &Value::Undef), Ok(()));
        let z = zero_value(&pool, t);
        prop_assert_eq!(pool.check_value(t, &z), Ok(()), "{}: {:?}", pool.display(t), z);
    }
}

/// A valid value of every type: zero, null, the first field or error.
fn zero_value(pool: &TypePool, ty: TypeId) -> Value {
    match pool.key(ty) {
        TypeKey::Void => Value::Aggregate(Box::new([])),
        TypeKey::Bool => Value::Bool(false),
        TypeKey::Float(_) => Value::Float(0),
        TypeKey::Int { .. } | TypeKey::Usize | TypeKey::Isize => Value::Int(Int::ZERO),
        TypeKey::Pointer {
            size: PtrSize::Slice,
            ..
        } => Value::Undef,
        TypeKey::Pointer { .. } => Value::Int(Int::ZERO),
        TypeKey::Optional(_) => Value::Null,
        TypeKey::ErrorUnion { payload, .. } => zero_value(pool, *payload),
        TypeKey::AnyError => Value::Error(pool.names.get("f0").unwrap_or(wabe_types::NameId(0))),
        TypeKey::ErrorSet { names, .. } => match names.first() {
            Some(n) => Value::Error(*n),
            None => Value::Undef,
        },
        TypeKey::Enum { fields, .. } => Value::EnumLiteral(fields[0].name),
        TypeKey::Array { len, elem } => {
            Value::Aggregate((0..*len).map(|_| zero_value(pool, *elem)).collect())
        }
        TypeKey::Struct { fields, .. } => {
            Value::Aggregate(fields.iter().map(|f| zero_value(pool, f.ty)).collect())
        }
        TypeKey::Union { fields, .. } => {
            Value::Fields(Box::new([(fields[0].name, zero_value(pool, fields[0].ty))]))
        }
        _ => Value::Undef,
    }
}
