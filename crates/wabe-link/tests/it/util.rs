//! Test helpers: a MIR builder, validation, a module summary read back with wasmparser, and
//! running with wasmi.

use wabe_link::{LinkOptions, Linker};
use wabe_mir::{MirData, MirFunction, MirTag, SymbolIndex, ValType};
use wasmparser::{
    ConstExpr, DataKind, ElementItems, ElementKind, ExternalKind, KnownCustom, Name, Operator,
    Parser, Payload, TypeRef,
};

/// Builds a MIR function.
#[derive(Default)]
pub struct Mir(pub MirFunction);

impl Mir {
    pub fn new() -> Mir {
        Mir::default()
    }
    pub fn locals(mut self, locals: &[ValType]) -> Mir {
        self.0.locals.extend_from_slice(locals);
        self
    }
    pub fn op(mut self, tag: MirTag) -> Mir {
        self.0.push(tag, MirData::default());
        self
    }
    pub fn op1(mut self, tag: MirTag, a: u32) -> Mir {
        self.0.push(tag, MirData::a(a));
        self
    }
    pub fn op2(mut self, tag: MirTag, a: u32, b: u32) -> Mir {
        self.0.push(tag, MirData { a, b });
        self
    }
    pub fn sym(self, tag: MirTag, sym: SymbolIndex) -> Mir {
        self.op1(tag, sym.0)
    }
    pub fn i32(self, v: i32) -> Mir {
        self.op1(MirTag::I32Const, v as u32)
    }
    pub fn get(self, local: u32) -> Mir {
        self.op1(MirTag::LocalGet, local)
    }
    pub fn done(self) -> MirFunction {
        self.0
    }
}

pub fn validate(bytes: &[u8]) {
    if let Err(e) = wasmparser::Validator::new().validate_all(bytes) {
        panic!("invalid module: {e}");
    }
}

/// The options of most tests: they build modules symbol by symbol and inspect what those hold
/// without exporting it, so they link without garbage collection (which `gc.rs` tests).
pub fn options() -> LinkOptions {
    LinkOptions {
        gc_sections: false,
        ..LinkOptions::default()
    }
}

/// A linker with one exported function `main` returning 0, flushed.
pub fn trivial(options: LinkOptions) -> (Linker, Vec<u8>) {
    let mut l = Linker::new(options);
    let main = l.declare_function("main", &[], &[ValType::I32]).unwrap();
    l.set_function_body(main, Mir::new().i32(0).done()).unwrap();
    l.export_function(main, "main").unwrap();
    let bytes = l.flush().unwrap();
    validate(&bytes);
    (l, bytes)
}

/// What a module holds, read back with wasmparser.
#[derive(Debug, Default)]
pub struct Summary {
    /// Section names in order (`custom:NAME` for custom sections).
    pub sections: Vec<String>,
    /// `(module, name, what)` with `what` like `func 0` or `memory`.
    pub imports: Vec<(String, String, String)>,
    pub imported_memory: Option<wasmparser::MemoryType>,
    pub imported_table: Option<wasmparser::TableType>,
    pub memory: Option<wasmparser::MemoryType>,
    pub table: Option<wasmparser::TableType>,
    /// `(type, initial value)`.
    pub globals: Vec<(wasmparser::GlobalType, i64)>,
    pub exports: Vec<(String, ExternalKind, u32)>,
    /// `(table, offset, function indices)`.
    pub elements: Vec<(Option<u32>, i64, Vec<u32>)>,
    /// `(offset, bytes)`.
    pub data: Vec<(i64, Vec<u8>)>,
    pub function_names: Vec<(u32, String)>,
    pub global_names: Vec<(u32, String)>,
    pub data_names: Vec<(u32, String)>,
    /// `(field, name, version)`.
    pub producers: Vec<(String, String, String)>,
    pub defined_functions: u32,
}

fn const_value(expr: &ConstExpr<'_>) -> i64 {
    match expr.get_operators_reader().read().unwrap() {
        Operator::I32Const { value } => i64::from(value),
        Operator::I64Const { value } => value,
        other => panic!("unexpected constant {other:?}"),
    }
}

pub fn summary(bytes: &[u8]) -> Summary {
    validate(bytes);
    let mut s = Summary::default();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.unwrap() {
            Payload::TypeSection(_) => s.sections.push("type".into()),
            Payload::ImportSection(r) => {
                s.sections.push("import".into());
                for import in r.into_imports() {
                    let import = import.unwrap();
                    let what = match import.ty {
                        TypeRef::Func(ty) => format!("func {ty}"),
                        TypeRef::Memory(m) => {
                            s.imported_memory = Some(m);
                            "memory".into()
                        }
                        TypeRef::Table(t) => {
                            s.imported_table = Some(t);
                            "table".into()
                        }
                        other => format!("{other:?}"),
                    };
                    s.imports
                        .push((import.module.into(), import.name.into(), what));
                }
            }
            Payload::FunctionSection(r) => {
                s.sections.push("function".into());
                s.defined_functions = r.count();
            }
            Payload::TableSection(r) => {
                s.sections.push("table".into());
                s.table = Some(r.into_iter().next().unwrap().unwrap().ty);
            }
            Payload::MemorySection(r) => {
                s.sections.push("memory".into());
                s.memory = Some(r.into_iter().next().unwrap().unwrap());
            }
            Payload::GlobalSection(r) => {
                s.sections.push("global".into());
                for g in r {
                    let g = g.unwrap();
                    s.globals.push((g.ty, const_value(&g.init_expr)));
                }
            }
            Payload::ExportSection(r) => {
                s.sections.push("export".into());
                for e in r {
                    let e = e.unwrap();
                    s.exports.push((e.name.into(), e.kind, e.index));
                }
            }
            Payload::ElementSection(r) => {
                s.sections.push("element".into());
                for e in r {
                    let e = e.unwrap();
                    let ElementKind::Active {
                        table_index,
                        offset_expr,
                    } = e.kind
                    else {
                        panic!("passive element segment")
                    };
                    let ElementItems::Functions(funcs) = e.items else {
                        panic!("expression elements")
                    };
                    let funcs = funcs.into_iter().map(|f| f.unwrap()).collect();
                    s.elements
                        .push((table_index, const_value(&offset_expr), funcs));
                }
            }
            Payload::CodeSectionStart { .. } => s.sections.push("code".into()),
            Payload::DataSection(r) => {
                s.sections.push("data".into());
                for d in r {
                    let d = d.unwrap();
                    let DataKind::Active { offset_expr, .. } = d.kind else {
                        panic!("passive data segment")
                    };
                    s.data.push((const_value(&offset_expr), d.data.to_vec()));
                }
            }
            Payload::CustomSection(c) => {
                s.sections.push(format!("custom:{}", c.name()));
                match c.as_known() {
                    KnownCustom::Name(names) => {
                        for name in names {
                            let map = |m: wasmparser::NameMap<'_>| {
                                m.into_iter()
                                    .map(|n| {
                                        let n = n.unwrap();
                                        (n.index, n.name.to_string())
                                    })
                                    .collect::<Vec<_>>()
                            };
                            match name.unwrap() {
                                Name::Function(m) => s.function_names = map(m),
                                Name::Global(m) => s.global_names = map(m),
                                Name::Data(m) => s.data_names = map(m),
                                _ => {}
                            }
                        }
                    }
                    KnownCustom::Producers(fields) => {
                        for field in fields {
                            let field = field.unwrap();
                            for v in field.values {
                                let v = v.unwrap();
                                s.producers.push((
                                    field.name.into(),
                                    v.name.into(),
                                    v.version.into(),
                                ));
                            }
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    s
}

impl Summary {
    pub fn export(&self, name: &str) -> Option<(ExternalKind, u32)> {
        self.exports
            .iter()
            .find(|e| e.0 == name)
            .map(|e| (e.1, e.2))
    }

    /// The initial value of `__stack_pointer` (global 0).
    pub fn stack_pointer(&self) -> i64 {
        assert_eq!(
            self.global_names.first().map(|g| g.1.as_str()),
            Some("__stack_pointer")
        );
        assert!(self.globals[0].0.mutable);
        self.globals[0].1
    }

    pub fn memory_limits(&self) -> (u64, Option<u64>) {
        let m = self.memory.or(self.imported_memory).expect("a memory");
        (m.initial, m.maximum)
    }
}

/// A module instance under wasmi, with `env.print(i32)` recording its arguments.
pub struct Run {
    pub store: wasmi::Store<Vec<i64>>,
    pub instance: wasmi::Instance,
}

impl Run {
    pub fn new(bytes: &[u8]) -> Run {
        Run::with_memory(bytes, None)
    }

    /// Instantiates, providing `env.memory` with the given limits (in pages) if set.
    pub fn with_memory(bytes: &[u8], memory_pages: Option<(u32, Option<u32>)>) -> Run {
        let engine = wasmi::Engine::default();
        let module = wasmi::Module::new(&engine, bytes).unwrap();
        let mut store = wasmi::Store::new(&engine, Vec::new());
        let mut linker = wasmi::Linker::<Vec<i64>>::new(&engine);
        linker
            .func_wrap(
                "env",
                "print",
                |mut caller: wasmi::Caller<'_, Vec<i64>>, x: i32| {
                    caller.data_mut().push(i64::from(x));
                },
            )
            .unwrap();
        linker
            .func_wrap(
                "env",
                "print64",
                |mut caller: wasmi::Caller<'_, Vec<i64>>, x: i64| {
                    caller.data_mut().push(x);
                },
            )
            .unwrap();
        if let Some((min, max)) = memory_pages {
            let memory = wasmi::Memory::new(&mut store, wasmi::MemoryType::new(min, max)).unwrap();
            linker.define("env", "memory", memory).unwrap();
        }
        let instance = linker.instantiate_and_start(&mut store, &module).unwrap();
        Run { store, instance }
    }

    pub fn call0(&mut self, name: &str) -> i32 {
        let f = self
            .instance
            .get_typed_func::<(), i32>(&self.store, name)
            .unwrap();
        f.call(&mut self.store, ()).unwrap()
    }

    pub fn call1(&mut self, name: &str, x: i32) -> i32 {
        let f = self
            .instance
            .get_typed_func::<i32, i32>(&self.store, name)
            .unwrap();
        f.call(&mut self.store, x).unwrap()
    }

    pub fn call2(&mut self, name: &str, x: i32, y: i32) -> i32 {
        let f = self
            .instance
            .get_typed_func::<(i32, i32), i32>(&self.store, name)
            .unwrap();
        f.call(&mut self.store, (x, y)).unwrap()
    }

    pub fn printed(&self) -> &[i64] {
        self.store.data()
    }

    pub fn global(&self, name: &str) -> i64 {
        match self
            .instance
            .get_global(&self.store, name)
            .unwrap()
            .get(&self.store)
        {
            wasmi::Val::I32(v) => i64::from(v),
            wasmi::Val::I64(v) => v,
            other => panic!("unexpected global value {other:?}"),
        }
    }
}
