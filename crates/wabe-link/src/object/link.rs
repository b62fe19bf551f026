//! Linking relocatable objects into an executable: symbol resolution, archive members on
//! demand, garbage collection, layout, relocation and writing.

use std::collections::HashMap;

use indexmap::{IndexMap, IndexSet};
use wabe_mir::{write_sleb, write_uleb};
use wabe_object::RelocType;
use wasm_encoder::{
    ConstExpr, DataSection, ElementSection, Elements, EntityType, ExportKind, ExportSection,
    FunctionSection, GlobalSection, GlobalType, ImportSection, MemorySection, MemoryType, NameMap,
    NameSection, RefType, Section, TableSection, TableType, TypeSection,
};

use super::read::{
    self, ObjFile, ObjReloc, SymKind, EXPLICIT_NAME, EXPORTED, LOCAL, NO_STRIP, WEAK,
};
use super::{archive, ObjectError, ObjectLinkOptions};
use crate::flush::wasm_valtype;
use crate::symbol::FuncSig;
use crate::{LinkError, ValType, PAGE_SIZE};

/// Names the linker defines when something refers to them.
const SYNTHETIC: &[&str] = &[
    "__stack_pointer",
    "__indirect_function_table",
    "__wasm_call_ctors",
    "__heap_base",
    "__heap_end",
    "__data_end",
    "__global_base",
    "__dso_handle",
    "__stack_low",
    "__stack_high",
];

/// What a symbol reference resolves to.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
enum Res {
    Func(u32, u32),
    Data(u32, u32, u64),
    Global(u32, u32),
    /// A global name without a definition in any object: linker-provided, imported, weak or
    /// an error.
    Named(u32),
}

/// One global (non-local) name.
#[derive(Clone, Debug)]
struct Name {
    kind: SymKind,
    /// The definition: file and symbol.
    def: Option<(u32, u32)>,
    weak_def: bool,
    /// The first file that mentioned the name (for messages).
    first: u32,
    /// The function signature of the first definition or reference.
    sig: Option<(FuncSig, u32)>,
    /// The import `(module, field)` of the first undefined reference, and whether its name
    /// was explicit.
    import: Option<(String, String, bool)>,
    /// Whether some undefined reference is strong.
    strong_ref: bool,
}

/// An archive member not loaded yet.
struct Lazy {
    file: ObjFile,
    loaded: bool,
}

struct State {
    options: ObjectLinkOptions,
    files: Vec<ObjFile>,
    names: IndexMap<String, Name>,
    comdats: IndexSet<String>,
    /// Per file: functions and segments discarded as duplicate comdat members.
    discarded_funcs: Vec<Vec<bool>>,
    discarded_segs: Vec<Vec<bool>>,
}

/// The name of file `i`, which may be the one being added.
fn files_name(files: &[ObjFile], i: u32, adding: &ObjFile, adding_index: u32) -> String {
    if i == adding_index {
        adding.name.clone()
    } else {
        files[i as usize].name.clone()
    }
}

fn sig_text(sig: &FuncSig) -> String {
    let list = |v: &[ValType]| {
        v.iter()
            .map(|t| format!("{t:?}").to_lowercase())
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("({}) -> ({})", list(&sig.params), list(&sig.results))
}

impl State {
    fn add_file(&mut self, f: ObjFile) -> Result<(), ObjectError> {
        let file = self.files.len() as u32;
        let mut dfuncs = vec![false; f.funcs.len()];
        let mut dsegs = vec![false; f.segments.len()];
        for (name, members) in &f.comdats {
            if !self.comdats.insert(name.clone()) {
                for &(kind, index) in members {
                    match kind {
                        0 => {
                            if let Some(d) = dsegs.get_mut(index as usize) {
                                *d = true
                            }
                        }
                        1 => {
                            if let Some(d) = dfuncs.get_mut(index as usize) {
                                *d = true
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        for (i, s) in f.symbols.iter().enumerate() {
            if s.is(LOCAL) || s.kind == SymKind::Other || s.name.is_empty() {
                continue;
            }
            let discarded = s.defined()
                && match s.kind {
                    SymKind::Func => dfuncs[s.index as usize],
                    SymKind::Data => s.data.is_some_and(|(seg, _, _)| dsegs[seg as usize]),
                    _ => false,
                };
            let defined = s.defined() && !discarded;
            if defined && SYNTHETIC.contains(&s.name.as_str()) {
                return Err(ObjectError::Link(LinkError::Reserved {
                    name: s.name.clone(),
                }));
            }
            let sig = (s.kind == SymKind::Func)
                .then(|| f.types[f.funcs[s.index as usize].ty as usize].clone());
            let entry = self.names.entry(s.name.clone()).or_insert_with(|| Name {
                kind: s.kind,
                def: None,
                weak_def: false,
                first: file,
                sig: None,
                import: None,
                strong_ref: false,
            });
            if entry.kind != s.kind {
                return Err(ObjectError::KindMismatch {
                    name: s.name.clone(),
                    first: files_name(&self.files, entry.first, &f, file),
                    first_kind: entry.kind.describe(),
                    second: f.name.clone(),
                    second_kind: s.kind.describe(),
                });
            }
            if let Some(sig) = sig {
                match &entry.sig {
                    None => entry.sig = Some((sig, file)),
                    Some((old, at)) if *old != sig => {
                        return Err(ObjectError::SignatureMismatch {
                            name: s.name.clone(),
                            first: files_name(&self.files, *at, &f, file),
                            first_sig: sig_text(old),
                            second: f.name.clone(),
                            second_sig: sig_text(&sig),
                        })
                    }
                    Some(_) => {}
                }
            }
            let entry = self.names.get_mut(&s.name).expect("inserted");
            if defined {
                let weak = s.is(WEAK);
                match entry.def {
                    None => {
                        entry.def = Some((file, i as u32));
                        entry.weak_def = weak;
                    }
                    Some((other, _)) => {
                        if !weak && !entry.weak_def {
                            let first = files_name(&self.files, other, &f, file);
                            return Err(ObjectError::Duplicate {
                                name: s.name.clone(),
                                first,
                                second: f.name.clone(),
                            });
                        }
                        if !weak && entry.weak_def {
                            entry.def = Some((file, i as u32));
                            entry.weak_def = false;
                        }
                    }
                }
            } else if !s.defined() {
                entry.strong_ref |= !s.is(WEAK);
                if entry.import.is_none() {
                    let import = match s.kind {
                        SymKind::Func => f.funcs[s.index as usize].import.clone(),
                        SymKind::Global => f.globals[s.index as usize].import.clone(),
                        _ => None,
                    };
                    if let Some((module, field)) = import {
                        entry.import = Some((module, field, s.is(EXPLICIT_NAME)));
                    }
                }
            }
        }
        self.files.push(f);
        self.discarded_funcs.push(dfuncs);
        self.discarded_segs.push(dsegs);
        Ok(())
    }

    /// Whether a member defines a name that is undefined and strongly referenced so far.
    fn wanted(&self, f: &ObjFile) -> bool {
        f.symbols.iter().any(|s| {
            s.defined()
                && !s.is(LOCAL)
                && self
                    .names
                    .get(&s.name)
                    .is_some_and(|n| n.def.is_none() && n.strong_ref)
        })
    }

    fn def_res(&self, file: u32, sym: u32) -> Res {
        let s = &self.files[file as usize].symbols[sym as usize];
        match s.kind {
            SymKind::Func => Res::Func(file, s.index),
            SymKind::Data => {
                let (seg, offset, _) = s.data.unwrap_or((0, 0, 0));
                Res::Data(file, seg, offset)
            }
            SymKind::Global => Res::Global(file, s.index),
            SymKind::Table | SymKind::Other => Res::Named(self.name_index(&s.name)),
        }
    }

    /// Whether `--export-all` exports symbol `sym` of `file`: a defined function with global
    /// binding (hidden or not, as wasm-ld), which is the definition its name resolves to.
    fn exported_by_all(&self, file: u32, sym: u32) -> bool {
        let s = &self.files[file as usize].symbols[sym as usize];
        self.options.link.export_all
            && s.kind == SymKind::Func
            && s.defined()
            && !s.is(LOCAL)
            && self.resolve(file, sym) == self.def_res(file, sym)
    }

    fn name_index(&self, name: &str) -> u32 {
        self.names.get_index_of(name).map_or(u32::MAX, |i| i as u32)
    }

    fn resolve(&self, file: u32, sym: u32) -> Res {
        let s = &self.files[file as usize].symbols[sym as usize];
        if s.is(LOCAL) {
            return self.def_res(file, sym);
        }
        match self.names.get_full(&s.name) {
            Some((
                _,
                _,
                Name {
                    def: Some((f, d)), ..
                },
            )) => self.def_res(*f, *d),
            Some((i, _, _)) => Res::Named(i as u32),
            None => Res::Named(u32::MAX),
        }
    }
}

/// Output numbering and addresses.
struct Layout {
    types: IndexSet<FuncSig>,
    func_index: HashMap<(u32, u32), u32>,
    named_func: HashMap<u32, u32>,
    slots: HashMap<Res, u32>,
    seg_addr: HashMap<(u32, u32), u64>,
    global_index: HashMap<(u32, u32), u32>,
    named_addr: HashMap<u32, u64>,
}

impl Layout {
    fn ty(&mut self, f: &ObjFile, ty: u32) -> u32 {
        let sig = &f.types[ty as usize];
        match self.types.get_index_of(sig) {
            Some(i) => i as u32,
            None => self.types.insert_full(sig.clone()).0 as u32,
        }
    }
}

/// Links objects (and archives, whose members are loaded when they define a symbol that is
/// still undefined) into an executable. See the [module docs](super).
pub fn link(
    inputs: Vec<(String, Vec<u8>)>,
    options: &ObjectLinkOptions,
) -> Result<Vec<u8>, ObjectError> {
    let mut st = State {
        options: options.clone(),
        files: Vec::new(),
        names: IndexMap::new(),
        comdats: IndexSet::new(),
        discarded_funcs: Vec::new(),
        discarded_segs: Vec::new(),
    };
    let mut lazy: Vec<Lazy> = Vec::new();
    for (name, bytes) in inputs {
        if bytes.starts_with(b"!<arch>\n") {
            for (member, data) in archive::members(&name, &bytes)? {
                lazy.push(Lazy {
                    file: read::parse(&member, data)?,
                    loaded: false,
                });
            }
        } else {
            let f = read::parse(&name, bytes)?;
            st.add_file(f)?;
        }
    }
    loop {
        let mut changed = false;
        for l in &mut lazy {
            if !l.loaded && st.wanted(&l.file) {
                l.loaded = true;
                changed = true;
                st.add_file(l.file.clone())?;
            }
        }
        if !changed {
            break;
        }
    }
    // The address width is the objects'.
    if let Some(first) = st.files.first() {
        st.options.link.memory64 = first.memory64;
    }
    let options = st.options.clone();
    let o = &options.link;
    for f in &st.files {
        if f.memory64 != o.memory64 {
            return Err(ObjectError::Unsupported {
                file: f.name.clone(),
                what: format!(
                    "a {} object in a {} link",
                    if f.memory64 { "wasm64" } else { "wasm32" },
                    if o.memory64 { "wasm64" } else { "wasm32" }
                ),
            });
        }
    }

    // ---- mark ----------------------------------------------------------------------------
    let mut live_funcs: Vec<Vec<bool>> = st
        .files
        .iter()
        .map(|f| vec![false; f.funcs.len()])
        .collect();
    let mut live_segs: Vec<Vec<bool>> = st
        .files
        .iter()
        .map(|f| vec![false; f.segments.len()])
        .collect();
    let mut live_globals: Vec<Vec<bool>> = st
        .files
        .iter()
        .map(|f| vec![false; f.globals.len()])
        .collect();
    let mut referenced: IndexSet<u32> = IndexSet::new();
    let mut ctors = false;
    let mut work: Vec<Res> = Vec::new();

    let call_ctors = st.name_index("__wasm_call_ctors");
    let mut roots: Vec<Res> = Vec::new();
    for (fi, f) in st.files.iter().enumerate() {
        for (si, s) in f.symbols.iter().enumerate() {
            if s.defined() && (s.is(EXPORTED) || s.is(NO_STRIP)) && s.kind != SymKind::Other
                || st.exported_by_all(fi as u32, si as u32)
            {
                roots.push(st.resolve(fi as u32, si as u32));
            }
        }
        if !o.gc_sections {
            for (i, func) in f.funcs.iter().enumerate() {
                if func.import.is_none() && !st.discarded_funcs[fi][i] {
                    roots.push(Res::Func(fi as u32, i as u32));
                }
            }
            for i in 0..f.segments.len() {
                if !st.discarded_segs[fi][i] {
                    roots.push(Res::Data(fi as u32, i as u32, 0));
                }
            }
            for (i, g) in f.globals.iter().enumerate() {
                if g.import.is_none() {
                    roots.push(Res::Global(fi as u32, i as u32));
                }
            }
        }
    }
    let mut requested: Vec<(String, Res)> = Vec::new();
    let entry = o.entry.clone().filter(|_| !o.no_entry);
    for name in o.exports.iter().chain(entry.iter()) {
        let res = match st.names.get(name) {
            Some(Name {
                def: Some((f, s)), ..
            }) => st.def_res(*f, *s),
            _ => {
                return Err(ObjectError::Link(if Some(name) == entry.as_ref() {
                    LinkError::EntryNotFound { name: name.clone() }
                } else {
                    LinkError::ExportNotFound { name: name.clone() }
                }))
            }
        };
        roots.push(res);
        requested.push((name.clone(), res));
    }
    work.extend(roots.iter().rev().copied());
    while let Some(res) = work.pop() {
        let (file, relocs): (u32, &[ObjReloc]) = match res {
            Res::Func(f, i) => {
                let flag = &mut live_funcs[f as usize][i as usize];
                if *flag {
                    continue;
                }
                *flag = true;
                let func = &st.files[f as usize].funcs[i as usize];
                if func.import.is_some() {
                    continue;
                }
                (f, &func.relocs)
            }
            Res::Data(f, s, _) => {
                let flag = &mut live_segs[f as usize][s as usize];
                if *flag {
                    continue;
                }
                *flag = true;
                (f, &st.files[f as usize].segments[s as usize].relocs)
            }
            Res::Global(f, g) => {
                live_globals[f as usize][g as usize] = true;
                continue;
            }
            Res::Named(n) => {
                referenced.insert(n);
                if n == call_ctors && !ctors {
                    ctors = true;
                    for (fi, f) in st.files.iter().enumerate() {
                        for &(_, sym) in &f.init_funcs {
                            if (sym as usize) < f.symbols.len() {
                                work.push(st.resolve(fi as u32, sym));
                            }
                        }
                    }
                }
                continue;
            }
        };
        for r in relocs.iter().rev() {
            if r.ty != RelocType::TypeIndexLeb {
                work.push(st.resolve(file, r.index));
            }
        }
    }

    // ---- undefined symbols ---------------------------------------------------------------
    let mut layout = Layout {
        types: IndexSet::new(),
        func_index: HashMap::new(),
        named_func: HashMap::new(),
        slots: HashMap::new(),
        seg_addr: HashMap::new(),
        global_index: HashMap::new(),
        named_addr: HashMap::new(),
    };
    let mut imports: Vec<(String, String, u32, u32)> = Vec::new(); // module, field, type, name
    let mut stubs: Vec<(u32, u32)> = Vec::new(); // name, type
    let mut zero_data: Vec<u32> = Vec::new();
    for &n in &referenced {
        let Some((name, entry)) = st.names.get_index(n as usize) else {
            continue;
        };
        if SYNTHETIC.contains(&name.as_str()) {
            continue;
        }
        let first = st.files[entry.first as usize].name.clone();
        let undefined = || ObjectError::Undefined {
            name: name.clone(),
            file: first.clone(),
        };
        match entry.kind {
            SymKind::Func => {
                let sig = entry.sig.as_ref().map(|s| s.0.clone()).unwrap_or(FuncSig {
                    params: Box::new([]),
                    results: Box::new([]),
                });
                let ty = match layout.types.get_index_of(&sig) {
                    Some(i) => i as u32,
                    None => layout.types.insert_full(sig).0 as u32,
                };
                match &entry.import {
                    Some((module, field, explicit)) if *explicit || o.allow_undefined => {
                        imports.push((module.clone(), field.clone(), ty, n))
                    }
                    None if o.allow_undefined => imports.push(("env".into(), name.clone(), ty, n)),
                    _ if !entry.strong_ref => stubs.push((n, ty)),
                    _ => return Err(undefined()),
                }
            }
            SymKind::Data => {
                if entry.strong_ref && !o.allow_undefined {
                    return Err(undefined());
                }
                zero_data.push(n);
            }
            _ => return Err(undefined()),
        }
    }
    for (k, &(_, _, _, n)) in imports.iter().enumerate() {
        layout.named_func.insert(n, k as u32);
    }

    // ---- functions -----------------------------------------------------------------------
    let mut defined: Vec<(u32, u32)> = Vec::new();
    for (fi, f) in st.files.iter().enumerate() {
        for (i, func) in f.funcs.iter().enumerate() {
            if func.import.is_none() && live_funcs[fi][i] {
                let index = (imports.len() + defined.len()) as u32;
                layout.func_index.insert((fi as u32, i as u32), index);
                defined.push((fi as u32, i as u32));
            }
        }
    }
    let mut next = (imports.len() + defined.len()) as u32;
    let void_ty = {
        let sig = FuncSig {
            params: Box::new([]),
            results: Box::new([]),
        };
        match layout.types.get_index_of(&sig) {
            Some(i) => i as u32,
            None => layout.types.insert_full(sig).0 as u32,
        }
    };
    if ctors {
        layout.named_func.insert(call_ctors, next);
        next += 1;
    }
    for &(n, _) in &stubs {
        layout.named_func.insert(n, next);
        next += 1;
    }
    let mut func_types = Vec::new();
    for &(fi, i) in &defined {
        let f = &st.files[fi as usize];
        func_types.push(layout.ty(f, f.funcs[i as usize].ty));
    }

    // ---- globals -------------------------------------------------------------------------
    let mut globals: Vec<(u32, u32)> = Vec::new();
    for (fi, f) in st.files.iter().enumerate() {
        for (i, g) in f.globals.iter().enumerate() {
            if g.import.is_none() && live_globals[fi][i] {
                layout
                    .global_index
                    .insert((fi as u32, i as u32), 1 + globals.len() as u32);
                globals.push((fi as u32, i as u32));
            }
        }
    }

    // ---- table slots, in output order ----------------------------------------------------
    let mut table: Vec<Res> = Vec::new();
    {
        let slot = |res: Res, table: &mut Vec<Res>, layout: &mut Layout| {
            if let Res::Named(n) = res {
                if stubs.iter().any(|&(s, _)| s == n) || !layout.named_func.contains_key(&n) {
                    return; // weak undefined: the null pointer
                }
            }
            if let std::collections::hash_map::Entry::Vacant(e) = layout.slots.entry(res) {
                table.push(res);
                e.insert(table.len() as u32);
            }
        };
        let is_table = |t: RelocType| {
            matches!(
                t,
                RelocType::TableIndexSleb
                    | RelocType::TableIndexI32
                    | RelocType::TableIndexSleb64
                    | RelocType::TableIndexI64
            )
        };
        for &(fi, i) in &defined {
            for r in &st.files[fi as usize].funcs[i as usize].relocs {
                if is_table(r.ty) {
                    slot(st.resolve(fi, r.index), &mut table, &mut layout);
                }
            }
        }
        for (fi, f) in st.files.iter().enumerate() {
            for (si, seg) in f.segments.iter().enumerate() {
                if live_segs[fi][si] {
                    for r in &seg.relocs {
                        if is_table(r.ty) {
                            slot(st.resolve(fi as u32, r.index), &mut table, &mut layout);
                        }
                    }
                }
            }
        }
    }

    // ---- memory --------------------------------------------------------------------------
    let mem = memory_layout(&st, &live_segs, &mut layout)?;
    let ptr_size_type = if o.memory64 {
        ValType::I64
    } else {
        ValType::I32
    };
    let named = |name: &str| st.name_index(name);
    for (name, value) in [
        ("__heap_base", mem.heap_base),
        ("__heap_end", mem.initial_pages * PAGE_SIZE),
        ("__data_end", mem.data_end),
        ("__global_base", mem.data_start),
        ("__dso_handle", 0),
        ("__stack_low", mem.stack_low),
        ("__stack_high", mem.stack_high),
    ] {
        layout.named_addr.insert(named(name), value);
    }
    for n in zero_data {
        layout.named_addr.insert(n, 0);
    }

    // ---- exports -------------------------------------------------------------------------
    let mut exports: IndexMap<String, (ExportKind, u32)> = IndexMap::new();
    if o.export_memory {
        exports.insert("memory".into(), (ExportKind::Memory, 0));
    }
    let need_table = !table.is_empty()
        || o.export_table
        || o.import_table
        || st.files.iter().any(|f| f.tables > 0);
    if o.export_table {
        exports.insert("__indirect_function_table".into(), (ExportKind::Table, 0));
    }
    let mut data_exports: Vec<u64> = Vec::new();
    let export = |name: &str,
                  res: Res,
                  exports: &mut IndexMap<String, (ExportKind, u32)>,
                  data_exports: &mut Vec<u64>|
     -> Result<(), ObjectError> {
        let item = match res {
            Res::Func(f, i) => match layout.func_index.get(&(f, i)) {
                Some(&k) => (ExportKind::Func, k),
                None => return Ok(()),
            },
            Res::Data(f, s, off) => {
                let addr = layout.seg_addr.get(&(f, s)).copied().unwrap_or(0) + off;
                let g = 1 + globals.len() as u32 + data_exports.len() as u32;
                data_exports.push(addr);
                (ExportKind::Global, g)
            }
            Res::Global(f, g) => match layout.global_index.get(&(f, g)) {
                Some(&k) => (ExportKind::Global, k),
                None => return Ok(()),
            },
            Res::Named(n) => match layout.named_func.get(&n) {
                Some(&k) => (ExportKind::Func, k),
                None => return Ok(()),
            },
        };
        match exports.get(name) {
            Some(old) if *old == item => Ok(()),
            Some(_) => Err(ObjectError::Link(LinkError::DuplicateExport {
                name: name.into(),
            })),
            None => {
                exports.insert(name.into(), item);
                Ok(())
            }
        }
    };
    for (fi, f) in st.files.iter().enumerate() {
        for (si, s) in f.symbols.iter().enumerate() {
            if s.defined()
                && (s.is(EXPORTED) || st.exported_by_all(fi as u32, si as u32))
                && st.resolve(fi as u32, si as u32) == st.def_res(fi as u32, si as u32)
            {
                export(
                    &s.name,
                    st.def_res(fi as u32, si as u32),
                    &mut exports,
                    &mut data_exports,
                )?;
            }
        }
    }
    for (name, res) in &requested {
        export(name, *res, &mut exports, &mut data_exports)?;
    }

    // ---- write ---------------------------------------------------------------------------
    let mut code = Vec::new();
    write_uleb(&mut code, (next - imports.len() as u32) as u64);
    let mut body = Vec::new();
    for &(fi, i) in &defined {
        body.clear();
        relocate_body(&st, &mut layout, fi, i, &mut body)?;
        write_uleb(&mut code, body.len() as u64);
        code.extend_from_slice(&body);
    }
    if ctors {
        let mut inits: Vec<(u32, usize, Res)> = Vec::new();
        for (fi, f) in st.files.iter().enumerate() {
            for &(priority, sym) in &f.init_funcs {
                let res = st.resolve(fi as u32, sym);
                inits.push((priority, inits.len(), res));
            }
        }
        inits.sort_by_key(|&(priority, k, _)| (priority, k));
        body.clear();
        body.push(0);
        for (_, _, res) in inits {
            let index = func_index(&layout, res).ok_or_else(|| ObjectError::Undefined {
                name: "(an init function)".into(),
                file: "__wasm_call_ctors".into(),
            })?;
            body.push(0x10);
            write_uleb(&mut body, u64::from(index));
        }
        body.push(0x0b);
        write_uleb(&mut code, body.len() as u64);
        code.extend_from_slice(&body);
    }
    for _ in &stubs {
        write_uleb(&mut code, 3);
        code.extend_from_slice(&[0, 0x00, 0x0b]);
    }

    let mut out = Vec::with_capacity(4096 + code.len());
    out.extend_from_slice(b"\0asm\x01\0\0\0");
    let mut data_bytes: Vec<(u64, Vec<u8>, &'static str)> = Vec::new();
    for seg in &mem.segments {
        if seg.name == ".bss" && !o.import_memory {
            continue;
        }
        let mut bytes = vec![0u8; seg.size as usize];
        for &(fi, si) in &seg.members {
            let f = &st.files[fi as usize];
            let s = &f.segments[si as usize];
            let addr = layout.seg_addr[&(fi, si)];
            let at = (addr - seg.start) as usize;
            let dest = &mut bytes[at..at + s.data.len()];
            dest.copy_from_slice(&f.bytes[s.data.clone()]);
            for r in &s.relocs {
                let value = reloc_value(&st, &mut layout, fi, r, addr + u64::from(r.offset))?;
                let width = r.ty_width();
                let field = &mut dest[r.offset as usize..r.offset as usize + width];
                field.copy_from_slice(&value.to_le_bytes()[..width]);
            }
        }
        data_bytes.push((seg.start, bytes, seg.name));
    }

    let mut types = TypeSection::new();
    for sig in &layout.types {
        types.ty().function(
            sig.params.iter().copied().map(wasm_valtype),
            sig.results.iter().copied().map(wasm_valtype),
        );
    }
    if !layout.types.is_empty() {
        types.append_to(&mut out);
    }
    let memory_type = MemoryType {
        minimum: mem.initial_pages,
        maximum: mem.max_pages,
        memory64: o.memory64,
        shared: false,
        page_size_log2: None,
    };
    let table_size = table.len() as u64 + 1;
    let mut import_section = ImportSection::new();
    if o.import_memory {
        import_section.import("env", "memory", memory_type);
    }
    if o.import_table {
        import_section.import(
            "env",
            "__indirect_function_table",
            TableType {
                element_type: RefType::FUNCREF,
                table64: o.memory64,
                minimum: table_size,
                maximum: None,
                shared: false,
            },
        );
    }
    for (module, field, ty, _) in &imports {
        import_section.import(module, field, EntityType::Function(*ty));
    }
    if !import_section.is_empty() {
        import_section.append_to(&mut out);
    }
    let mut functions = FunctionSection::new();
    for &ty in &func_types {
        functions.function(ty);
    }
    if ctors {
        functions.function(void_ty);
    }
    for &(_, ty) in &stubs {
        functions.function(ty);
    }
    if !functions.is_empty() {
        functions.append_to(&mut out);
    }
    if need_table && !o.import_table {
        let mut tables = TableSection::new();
        tables.table(TableType {
            element_type: RefType::FUNCREF,
            table64: o.memory64,
            minimum: table_size,
            maximum: Some(table_size),
            shared: false,
        });
        tables.append_to(&mut out);
    }
    if !o.import_memory {
        let mut memories = MemorySection::new();
        memories.memory(memory_type);
        memories.append_to(&mut out);
    }
    let ptr_const = |v: u64| {
        if o.memory64 {
            ConstExpr::i64_const(v as i64)
        } else {
            ConstExpr::i32_const(v as u32 as i32)
        }
    };
    let mut global_section = GlobalSection::new();
    global_section.global(
        GlobalType {
            val_type: wasm_valtype(ptr_size_type),
            mutable: true,
            shared: false,
        },
        &ptr_const(mem.stack_high),
    );
    for &(fi, i) in &globals {
        let g = &st.files[fi as usize].globals[i as usize];
        let init = match g.ty {
            ValType::I32 => ConstExpr::i32_const(g.init as u32 as i32),
            ValType::I64 => ConstExpr::i64_const(g.init as i64),
            ValType::F32 => ConstExpr::f32_const(f32::from_bits(g.init as u32).into()),
            ValType::F64 => ConstExpr::f64_const(f64::from_bits(g.init).into()),
        };
        global_section.global(
            GlobalType {
                val_type: wasm_valtype(g.ty),
                mutable: g.mutable,
                shared: false,
            },
            &init,
        );
    }
    for &addr in &data_exports {
        global_section.global(
            GlobalType {
                val_type: wasm_valtype(ptr_size_type),
                mutable: false,
                shared: false,
            },
            &ptr_const(addr),
        );
    }
    global_section.append_to(&mut out);
    let mut export_section = ExportSection::new();
    for (name, (kind, index)) in &exports {
        export_section.export(name, *kind, *index);
    }
    if !export_section.is_empty() {
        export_section.append_to(&mut out);
    }
    if !table.is_empty() {
        let funcs: Vec<u32> = table
            .iter()
            .map(|&r| func_index(&layout, r).unwrap_or(0))
            .collect();
        let mut elements = ElementSection::new();
        elements.active(
            None,
            &ptr_const(1),
            Elements::Functions(std::borrow::Cow::Owned(funcs)),
        );
        elements.append_to(&mut out);
    }
    if next > imports.len() as u32 {
        out.push(10);
        write_uleb(&mut out, code.len() as u64);
        out.extend_from_slice(&code);
    }
    let mut data_section = DataSection::new();
    let mut data_names = NameMap::new();
    for (start, bytes, name) in &data_bytes {
        data_names.append(data_section.len(), name);
        data_section.active(0, &ptr_const(*start), bytes.iter().copied());
    }
    if !data_section.is_empty() {
        data_section.append_to(&mut out);
    }

    // name section
    let mut func_names = NameMap::new();
    let mut fnames: HashMap<(u32, u32), &str> = HashMap::new();
    for (fi, f) in st.files.iter().enumerate() {
        for s in &f.symbols {
            if s.kind == SymKind::Func && s.defined() && !s.name.is_empty() {
                fnames.entry((fi as u32, s.index)).or_insert(&s.name);
            }
        }
    }
    for (k, (_, field, _, _)) in imports.iter().enumerate() {
        func_names.append(k as u32, field);
    }
    for (k, key) in defined.iter().enumerate() {
        if let Some(name) = fnames.get(key) {
            func_names.append((imports.len() + k) as u32, name);
        }
    }
    let mut k = (imports.len() + defined.len()) as u32;
    if ctors {
        func_names.append(k, "__wasm_call_ctors");
        k += 1;
    }
    for &(n, _) in &stubs {
        let name = st
            .names
            .get_index(n as usize)
            .map_or("", |(s, _)| s.as_str());
        func_names.append(k, &format!("undefined_weak:{name}"));
        k += 1;
    }
    let mut names = NameSection::new();
    names.functions(&func_names);
    let mut global_names = NameMap::new();
    global_names.append(0, "__stack_pointer");
    names.globals(&global_names);
    if !data_names.is_empty() {
        names.data(&data_names);
    }
    names.append_to(&mut out);
    Ok(out)
}

impl ObjReloc {
    fn ty_width(&self) -> usize {
        match self.ty {
            RelocType::MemoryAddrI64 | RelocType::TableIndexI64 | RelocType::FunctionOffsetI64 => 8,
            _ => 4,
        }
    }
}

fn func_index(layout: &Layout, res: Res) -> Option<u32> {
    match res {
        Res::Func(f, i) => layout.func_index.get(&(f, i)).copied(),
        Res::Named(n) => layout.named_func.get(&n).copied(),
        _ => None,
    }
}

/// The value a relocation writes. `site` is the address of the field (for data).
fn reloc_value(
    st: &State,
    layout: &mut Layout,
    file: u32,
    r: &ObjReloc,
    site: u64,
) -> Result<u64, ObjectError> {
    use RelocType::*;
    let f = &st.files[file as usize];
    if r.ty == TypeIndexLeb {
        return Ok(u64::from(layout.ty(f, r.index)));
    }
    let res = st.resolve(file, r.index);
    let sym = &f.symbols[r.index as usize];
    let wrong = |expected: &str| ObjectError::BadReloc {
        file: f.name.clone(),
        kind: format!("{:?}", r.ty),
        offset: r.offset,
        symbol: sym.name.clone(),
        message: format!("the target is a {}, not a {expected}", sym.kind.describe()),
    };
    let address = |layout: &Layout| -> Result<u64, ObjectError> {
        match res {
            Res::Data(fi, s, off) => Ok(layout.seg_addr.get(&(fi, s)).copied().unwrap_or(0) + off),
            Res::Named(n) => Ok(layout.named_addr.get(&n).copied().unwrap_or(0)),
            _ => Err(wrong("data symbol")),
        }
    };
    Ok(match r.ty {
        FunctionIndexLeb | FunctionIndexI32 => {
            u64::from(func_index(layout, res).ok_or_else(|| wrong("defined or imported function"))?)
        }
        TableIndexSleb | TableIndexI32 | TableIndexSleb64 | TableIndexI64 => match res {
            Res::Func(..) | Res::Named(_) => {
                u64::from(layout.slots.get(&res).copied().unwrap_or(0))
            }
            _ => return Err(wrong("function")),
        },
        MemoryAddrLeb | MemoryAddrSleb | MemoryAddrI32 | MemoryAddrLeb64 | MemoryAddrSleb64
        | MemoryAddrI64 => (address(layout)? as i64).wrapping_add(r.addend) as u64,
        MemoryAddrLocrelI32 => {
            ((address(layout)? as i64).wrapping_add(r.addend) - site as i64) as u64
        }
        GlobalIndexLeb | GlobalIndexI32 => match res {
            Res::Global(fi, g) => {
                u64::from(layout.global_index.get(&(fi, g)).copied().unwrap_or(0))
            }
            Res::Named(n)
                if st
                    .names
                    .get_index(n as usize)
                    .is_some_and(|(s, _)| s == "__stack_pointer") =>
            {
                0
            }
            _ => return Err(wrong("global")),
        },
        TableNumberLeb => 0,
        other => {
            return Err(ObjectError::BadReloc {
                file: f.name.clone(),
                kind: format!("{other:?}"),
                offset: r.offset,
                symbol: sym.name.clone(),
                message: "this relocation type is not supported (PIC, TLS or debug information)"
                    .into(),
            })
        }
    })
}

/// Copies a function body with its relocations applied, each relocated LEB re-encoded in
/// its shortest form.
fn relocate_body(
    st: &State,
    layout: &mut Layout,
    file: u32,
    func: u32,
    out: &mut Vec<u8>,
) -> Result<(), ObjectError> {
    use RelocType::*;
    let f = &st.files[file as usize];
    let fu = &f.funcs[func as usize];
    let body = &f.bytes[fu.body.clone()];
    let mut at = 0usize;
    for r in &fu.relocs {
        let offset = r.offset as usize;
        let bad = |message: &str| ObjectError::BadReloc {
            file: f.name.clone(),
            kind: format!("{:?}", r.ty),
            offset: r.offset,
            symbol: f
                .symbols
                .get(r.index as usize)
                .map_or_else(String::new, |s| s.name.clone()),
            message: message.into(),
        };
        if offset < at {
            return Err(bad("overlaps the previous relocation"));
        }
        out.extend_from_slice(&body[at..offset]);
        let (max, signed, wide) = match r.ty {
            FunctionIndexLeb | TypeIndexLeb | GlobalIndexLeb | TableNumberLeb | MemoryAddrLeb => {
                (5, false, false)
            }
            TableIndexSleb | MemoryAddrSleb => (5, true, false),
            MemoryAddrLeb64 => (10, false, true),
            MemoryAddrSleb64 | TableIndexSleb64 => (10, true, true),
            _ => return Err(bad("not a relocation that code may hold")),
        };
        let field = &body[offset..];
        let len = field
            .iter()
            .take(max)
            .position(|&b| b & 0x80 == 0)
            .ok_or_else(|| bad("the field is not a LEB128 of the expected width"))?
            + 1;
        let value = reloc_value(st, layout, file, r, 0)?;
        match (signed, wide) {
            (false, false) => write_uleb(out, u64::from(value as u32)),
            (true, false) => write_sleb(out, i64::from(value as u32 as i32)),
            (false, true) => write_uleb(out, value),
            (true, true) => write_sleb(out, value as i64),
        }
        at = offset + len;
    }
    out.extend_from_slice(&body[at..]);
    Ok(())
}

/// An output data segment.
struct OutSegment {
    name: &'static str,
    start: u64,
    size: u64,
    members: Vec<(u32, u32)>,
}

struct MemLayout {
    data_start: u64,
    data_end: u64,
    stack_low: u64,
    stack_high: u64,
    heap_base: u64,
    initial_pages: u64,
    max_pages: Option<u64>,
    segments: Vec<OutSegment>,
}

/// Lays out the live segments by output segment (`.rodata`, `.data`, `.bss`), then the stack
/// and heap, with the rules of [`MemoryLayout`](crate::MemoryLayout).
fn memory_layout(
    st: &State,
    live_segs: &[Vec<bool>],
    layout: &mut Layout,
) -> Result<MemLayout, ObjectError> {
    let o = &st.options.link;
    let limit_pages: u64 = if o.memory64 { 1 << 48 } else { 1 << 16 };
    let overflow = |what| {
        ObjectError::Link(LinkError::TooManyPages {
            what,
            pages: u64::MAX / PAGE_SIZE,
            limit: limit_pages,
        })
    };
    if !o.stack_size.is_multiple_of(16) {
        return Err(LinkError::StackSizeAlignment { size: o.stack_size }.into());
    }
    let mut ptr;
    let (mut stack_low, mut stack_high) = (0, 0);
    if o.stack_first {
        stack_high = o.stack_size;
        ptr = stack_high;
        if let Some(base) = o.global_base {
            if base < stack_high {
                return Err(LinkError::GlobalBaseInStack {
                    base,
                    stack_end: stack_high,
                }
                .into());
            }
            ptr = base;
        }
    } else {
        ptr = o.global_base.unwrap_or(1024);
    }
    let data_start = ptr;
    let mut data_limit = limit_pages.saturating_mul(PAGE_SIZE);
    if let Some(max) = o.max_memory {
        data_limit = data_limit.min(max);
    }
    let class = |name: &str| {
        if name.starts_with(".rodata") {
            0
        } else if name.starts_with(".bss") {
            2
        } else {
            1
        }
    };
    let mut segments = Vec::new();
    for (c, out_name) in [(0, ".rodata"), (1, ".data"), (2, ".bss")] {
        let mut members = Vec::new();
        for (fi, f) in st.files.iter().enumerate() {
            for (si, s) in f.segments.iter().enumerate() {
                if live_segs[fi][si] && class(&s.name) == c {
                    if s.tls {
                        return Err(ObjectError::Unsupported {
                            file: f.name.clone(),
                            what: format!("thread-local segment `{}`", s.name),
                        });
                    }
                    members.push((fi as u32, si as u32));
                }
            }
        }
        let Some(align) = members
            .iter()
            .map(|&(f, s)| u64::from(st.files[f as usize].segments[s as usize].align))
            .max()
        else {
            continue;
        };
        ptr = ptr
            .checked_next_multiple_of(align)
            .ok_or_else(|| overflow("__data_end"))?;
        let start = ptr;
        for &(fi, si) in &members {
            let s = &st.files[fi as usize].segments[si as usize];
            ptr = ptr
                .checked_next_multiple_of(u64::from(s.align))
                .ok_or_else(|| overflow("__data_end"))?;
            let size = s.data.len() as u64;
            let end = ptr.checked_add(size).filter(|&e| e <= data_limit);
            let Some(end) = end else {
                return Err(LinkError::DataTooLarge {
                    name: format!("{} ({})", s.name, st.files[fi as usize].name),
                    size,
                    address: ptr,
                    limit: data_limit,
                }
                .into());
            };
            layout.seg_addr.insert((fi, si), ptr);
            ptr = end;
        }
        segments.push(OutSegment {
            name: out_name,
            start,
            size: ptr - start,
            members,
        });
    }
    let data_end = ptr;
    if !o.stack_first {
        stack_low = ptr
            .checked_next_multiple_of(16)
            .ok_or_else(|| overflow("__stack_pointer"))?;
        stack_high = stack_low
            .checked_add(o.stack_size)
            .ok_or_else(|| overflow("__stack_pointer"))?;
        ptr = stack_high;
    }
    let heap_base = ptr
        .checked_next_multiple_of(16)
        .ok_or_else(|| overflow("__heap_base"))?;
    let mut memory = heap_base;
    let mut what = "__heap_base";
    if let Some(initial) = o.initial_memory {
        if !initial.is_multiple_of(PAGE_SIZE) {
            return Err(LinkError::MemoryUnaligned {
                option: "--initial-memory",
                value: initial,
            }
            .into());
        }
        if initial < heap_base {
            return Err(LinkError::MemoryTooSmall {
                option: "--initial-memory",
                value: initial,
                needed: heap_base,
            }
            .into());
        }
        memory = initial;
        what = "--initial-memory";
    }
    let initial_pages = memory.div_ceil(PAGE_SIZE);
    if initial_pages > limit_pages {
        return Err(LinkError::TooManyPages {
            what,
            pages: initial_pages,
            limit: limit_pages,
        }
        .into());
    }
    let max_pages = match o.max_memory {
        None => None,
        Some(max) => {
            if !max.is_multiple_of(PAGE_SIZE) {
                return Err(LinkError::MemoryUnaligned {
                    option: "--max-memory",
                    value: max,
                }
                .into());
            }
            if max < initial_pages * PAGE_SIZE {
                return Err(LinkError::MemoryTooSmall {
                    option: "--max-memory",
                    value: max,
                    needed: initial_pages * PAGE_SIZE,
                }
                .into());
            }
            Some(max / PAGE_SIZE)
        }
    };
    Ok(MemLayout {
        data_start,
        data_end,
        stack_low,
        stack_high,
        heap_base,
        initial_pages,
        max_pages,
        segments,
    })
}
