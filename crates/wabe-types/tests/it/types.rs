//! Interning rules, malformed types, the accessors a code generator uses, and lowering helpers.

use crate::parse::Env;
use wabe_types::{
    block_type, is_by_ref, valtype, BlockType, CallConv, ContainerLayout, EnumField, Field, Int,
    ParamLowering, PtrInfo, PtrSize, ResultLowering, Target, TypeError, TypeId, TypeKey, TypePool,
    ValType,
};

fn invalid(r: Result<TypeId, TypeError>, msg: &str) {
    match r {
        Err(TypeError::Invalid(m)) => assert!(m.contains(msg), "`{m}` does not mention `{msg}`"),
        other => panic!("expected an error mentioning `{msg}`, got {other:?}"),
    }
}

#[test]
fn malformed_types_are_errors() {
    let mut p = TypePool::new(Target::Wasm32);
    let (a, b) = (p.names.intern("a"), p.names.intern("b"));
    let f = |name, ty| Field { name, ty };
    let s = TypeKey::Struct {
        name: None,
        layout: ContainerLayout::Auto,
        fields: vec![f(a, TypeId::U8), f(a, TypeId::U16)].into(),
    };
    invalid(p.intern(s), "duplicate field `a`");
    let e = |name, v| EnumField {
        name,
        value: Int::from_i128(v),
    };
    let en = TypeKey::Enum {
        name: None,
        tag: TypeId::U8,
        fields: vec![e(a, 0), e(b, 256)].into(),
    };
    invalid(p.intern(en), "`b` = 256 does not fit the tag type `u8`");
    let en = TypeKey::Enum {
        name: None,
        tag: TypeId::U8,
        fields: vec![e(a, 3), e(b, 3)].into(),
    };
    invalid(p.intern(en), "used twice");
    let en = TypeKey::Enum {
        name: None,
        tag: TypeId::F32,
        fields: vec![e(a, 0)].into(),
    };
    invalid(p.intern(en), "must be an integer type");
    let u = TypeKey::Union {
        name: None,
        tag: Some(TypeId::U8),
        fields: vec![f(a, TypeId::U8)].into(),
    };
    invalid(p.intern(u), "must be an enum");
    let tag = p.auto_tag_enum(&[a]).unwrap();
    let u = TypeKey::Union {
        name: None,
        tag: Some(tag),
        fields: vec![f(b, TypeId::U8)].into(),
    };
    invalid(p.intern(u), "union field `b` has no value in the tag enum");
    invalid(
        p.intern(TypeKey::ErrorUnion {
            error: TypeId::U16,
            payload: TypeId::U8,
        }),
        "error set",
    );
    let huge = p.intern(TypeKey::Array {
        len: u64::MAX / 2,
        elem: TypeId::U64,
    });
    assert_eq!(huge, Err(TypeError::TooLarge));
    let big = TypeKey::Array {
        len: 1 << 33,
        elem: TypeId::U8,
    };
    assert_eq!(p.intern(big.clone()), Err(TypeError::TooLarge));
    assert!(TypePool::new(Target::Wasm64).intern(big).is_ok());
}

#[test]
fn recursive_types_through_pointers() {
    let mut p = TypePool::new(Target::Wasm32);
    let (node, next, val) = (
        p.names.intern("Node"),
        p.names.intern("next"),
        p.names.intern("val"),
    );
    let n = p.reserve(node);
    assert!(!p.is_complete(n));
    let ptr = p.pointer(PtrSize::One, false, n);
    let opt = p.optional(ptr).unwrap();
    // A type cannot hold an incomplete type by value.
    assert!(matches!(p.optional(n), Err(TypeError::Incomplete(_))));
    let fields = vec![
        Field {
            name: val,
            ty: TypeId::U64,
        },
        Field {
            name: next,
            ty: opt,
        },
    ];
    let key = TypeKey::Struct {
        name: Some(node),
        layout: ContainerLayout::Auto,
        fields: fields.into(),
    };
    p.define(n, key.clone()).unwrap();
    assert!(p.is_complete(n));
    assert_eq!((p.abi_size(n), p.abi_align(n)), (16, 8));
    assert_eq!(p.intern(key.clone()), Ok(n));
    assert!(matches!(
        p.define(n, key),
        Err(TypeError::AlreadyDefined(_))
    ));
    // An alias whose key already has an id cannot be defined through `reserve`.
    let alias = p.names.intern("BytePtr");
    let r = p.reserve(alias);
    let key = TypeKey::Pointer {
        size: PtrSize::One,
        is_const: false,
        child: TypeId::U8,
    };
    p.intern(key.clone()).unwrap();
    assert!(
        matches!(p.define(r, key), Err(TypeError::Invalid(m)) if m.contains("intern an alias"))
    );
}

#[test]
fn accessors() {
    let mut env = Env::new(Target::Wasm32);
    env.def("Color", "enum(u8) { red, green = 5, blue }");
    env.def(
        "Shape",
        "union(enum) { circle: f64, square: u32, none: void }",
    );
    let (color, shape) = (env.named["Color"], env.named["Shape"]);
    let s = env.ty("struct { a: u8, b: *const Color, c: [3]u16 }");
    let pool = &mut env.pool;
    let (a, c, green, square) = (
        pool.names.intern("a"),
        pool.names.intern("c"),
        pool.names.intern("green"),
        pool.names.intern("square"),
    );
    assert_eq!(pool.struct_fields(s).len(), 3);
    assert_eq!(pool.field_index(s, c), Some(2));
    assert_eq!(pool.field_index(s, green), None);
    let bt = pool.field_type(s, 1).unwrap();
    assert_eq!(
        pool.ptr_info(bt),
        Some(PtrInfo {
            size: PtrSize::One,
            is_const: true,
            child: color
        })
    );
    assert_eq!(pool.child_type(bt), Some(color));
    let ct = pool.field_type(s, 2).unwrap();
    assert_eq!(
        (pool.array_len(ct), pool.child_type(ct)),
        (Some(3), Some(TypeId::U16))
    );
    assert_eq!(pool.field_type(s, 3), None);
    assert_eq!(
        pool.enum_field_value(color, green),
        Some(&Int::from_i128(5))
    );
    assert_eq!(pool.enum_field_value(color, a), None);
    assert_eq!(pool.enum_tag_type(color), Some(TypeId::U8));
    assert_eq!(pool.enum_fields(color).len(), 3);
    // The tag enum of `union(enum)` with three fields: u2, values 0, 1, 2.
    let tag = pool.union_tag_type(shape).unwrap();
    assert_eq!(
        pool.display(pool.enum_tag_type(tag).unwrap()).to_string(),
        "u2"
    );
    assert_eq!(pool.union_field_tag(shape, 1), Some(&Int::from_i128(1)));
    assert_eq!(pool.field_index(shape, square), Some(1));
    assert_eq!(pool.union_fields(shape).len(), 3);
    assert_eq!(pool.field_offset(shape, 2), 0);
    assert_eq!(pool.union_tag_offset(shape), 8);
    let eu = pool
        .intern(TypeKey::ErrorUnion {
            error: TypeId::ANYERROR,
            payload: s,
        })
        .unwrap();
    assert_eq!(pool.error_union_types(eu), Some((TypeId::ANYERROR, s)));
    let slice = pool.pointer(PtrSize::Slice, true, TypeId::U8);
    let params = vec![s, slice].into();
    let f = pool
        .intern(TypeKey::Fn {
            params,
            ret: TypeId::VOID,
            callconv: CallConv::C,
        })
        .unwrap();
    let (params, ret, cc) = pool.fn_info(f).unwrap();
    assert_eq!(
        (params, ret, cc),
        (&[s, slice][..], TypeId::VOID, CallConv::C)
    );
}

#[test]
fn builtin_ids() {
    let p = TypePool::new(Target::Wasm64);
    for (id, text) in [
        (TypeId::F16, "f16"),
        (TypeId::F80, "f80"),
        (TypeId::F128, "f128"),
        (TypeId::U0, "u0"),
        (TypeId::I128, "i128"),
        (TypeId::USIZE, "usize"),
    ] {
        assert_eq!(p.display(id).to_string(), text);
    }
    assert_eq!(p.abi_size(TypeId::USIZE), 8);
}

#[test]
fn lowering_helpers() {
    let mut env = Env::new(Target::Wasm32);
    let cases = [
        ("void", false, None, BlockType::Empty),
        ("noreturn", false, None, BlockType::Empty),
        (
            "u8",
            false,
            Some(ValType::I32),
            BlockType::Value(ValType::I32),
        ),
        (
            "u40",
            false,
            Some(ValType::I64),
            BlockType::Value(ValType::I64),
        ),
        (
            "f16",
            false,
            Some(ValType::F32),
            BlockType::Value(ValType::F32),
        ),
        (
            "?void",
            false,
            Some(ValType::I32),
            BlockType::Value(ValType::I32),
        ),
        (
            "?*u8",
            false,
            Some(ValType::I32),
            BlockType::Value(ValType::I32),
        ),
        (
            "?u8",
            true,
            Some(ValType::I32),
            BlockType::Value(ValType::I32),
        ),
        (
            "anyerror!void",
            false,
            Some(ValType::I32),
            BlockType::Value(ValType::I32),
        ),
        (
            "[]u8",
            true,
            Some(ValType::I32),
            BlockType::Value(ValType::I32),
        ),
    ];
    for (src, by_ref, vt, bt) in cases {
        let t = env.ty(src);
        assert_eq!(is_by_ref(&env.pool, t), by_ref, "{src}");
        assert_eq!(valtype(&env.pool, t), vt, "{src}");
        assert_eq!(block_type(&env.pool, t), bt, "{src}");
    }
}

#[test]
fn auto_convention() {
    let mut env = Env::new(Target::Wasm32);
    let f = env.ty("fn (u32, void, [2]u64, u128, f64, ?void) struct { a: u8 }");
    let sig = env.pool.lower_fn_type(f).unwrap();
    use ParamLowering::*;
    assert_eq!(
        sig.param_map,
        vec![
            Direct(ValType::I32),
            Dropped,
            ByRef,
            ByRef,
            Direct(ValType::F64),
            Direct(ValType::I32)
        ]
    );
    assert_eq!(sig.result, ResultLowering::Sret);
    use ValType::*;
    assert_eq!(sig.params, vec![I32, I32, I32, I32, F64, I32]);
    assert!(sig.results.is_empty());
    let idx: Vec<_> = (0..7).map(|i| sig.wasm_param_index(i)).collect();
    assert_eq!(
        idx,
        vec![Some(1), None, Some(2), Some(3), Some(4), Some(5), None]
    );
    // The C convention splits the u128 and unwraps the singleton result.
    let g = env.ty("fn (u32, u128, f32) struct { a: u8 } callconv(c)");
    let sig = env.pool.lower_fn_type(g).unwrap();
    assert_eq!(sig.params, vec![I32, I64, I64, F32]);
    assert_eq!(sig.results, vec![I32]);
    assert_eq!(sig.result, ResultLowering::Scalar(I32));
    assert_eq!(sig.wasm_param_index(2), Some(3));
    assert!(env.pool.lower_fn_type(TypeId::U32).is_none());
}
