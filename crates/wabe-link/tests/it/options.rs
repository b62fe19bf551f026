//! One test per link option, checking the output with wasmparser.

use wabe_link::{LinkError, LinkOptions, Linker};
use wabe_mir::{MirTag, ValType};
use wasmparser::ExternalKind;

use crate::util::{options, summary, trivial, validate, Mir, Run};

const MIB: u64 = 1024 * 1024;

/// A linker with `main` and 100 bytes of read-only data referenced by it.
fn with_data(options: LinkOptions) -> Result<(Linker, Vec<u8>), LinkError> {
    let mut l = Linker::new(options);
    let d = l.declare_data("d", vec![1; 100], 8, false, vec![])?;
    let main = l.declare_function("main", &[], &[ValType::I32])?;
    l.set_function_body(
        main,
        Mir::new()
            .sym(MirTag::MemAddr, d)
            .op2(MirTag::I32Load8U, 0, 0)
            .done(),
    )?;
    l.export_function(main, "main")?;
    let bytes = l.flush()?;
    validate(&bytes);
    Ok((l, bytes))
}

#[test]
fn defaults() {
    let (l, bytes) = trivial(options());
    let s = summary(&bytes);
    let top = 1024 + MIB;
    assert_eq!(s.stack_pointer(), top as i64);
    assert_eq!(l.heap_base(), Some(top));
    assert_eq!(l.data_end(), Some(1024));
    // ceil(1049600 / 65536) = 17 pages, no maximum.
    assert_eq!(s.memory_limits(), (17, None));
    assert_eq!(s.export("memory"), Some((ExternalKind::Memory, 0)));
    assert!(s.table.is_none() && s.imported_table.is_none());
    assert!(s.elements.is_empty());
    assert!(!s.memory.unwrap().memory64);
}

#[test]
fn memory64() {
    let (_, bytes) = with_data(LinkOptions {
        memory64: true,
        ..options()
    })
    .unwrap();
    let s = summary(&bytes);
    assert!(s.memory.unwrap().memory64);
    assert_eq!(s.globals[0].0.content_type, wasmparser::ValType::I64);
    assert_eq!(s.stack_pointer(), (1136 + MIB) as i64);
    assert_eq!(s.data[0].0, 1024);
}

#[test]
fn stack_size() {
    let (l, bytes) = trivial(LinkOptions {
        stack_size: 64 * 1024,
        ..options()
    });
    let s = summary(&bytes);
    assert_eq!(s.stack_pointer(), 1024 + 65536);
    assert_eq!(l.heap_base(), Some(1024 + 65536));
    assert_eq!(s.memory_limits(), (2, None));
}

#[test]
fn stack_first() {
    let (l, bytes) = with_data(LinkOptions {
        stack_first: true,
        ..options()
    })
    .unwrap();
    let s = summary(&bytes);
    // The stack is [0, 1 MiB); data follows it.
    assert_eq!(s.stack_pointer(), MIB as i64);
    let layout = l.memory_layout().unwrap();
    assert_eq!((layout.stack_low, layout.stack_high), (0, MIB));
    assert_eq!(layout.data_start, MIB);
    assert_eq!(s.data[0].0, MIB as i64);
    assert_eq!(l.data_end(), Some(MIB + 100));
    assert_eq!(l.heap_base(), Some(MIB + 112));
    assert_eq!(s.memory_limits(), (17, None));
    let mut run = Run::new(&bytes);
    assert_eq!(run.call0("main"), 1);
}

#[test]
fn stack_first_with_global_base() {
    let (l, _) = with_data(LinkOptions {
        stack_first: true,
        global_base: Some(2 * MIB),
        ..options()
    })
    .unwrap();
    let layout = l.memory_layout().unwrap();
    assert_eq!(layout.stack_high, MIB);
    assert_eq!(layout.data_start, 2 * MIB);
    assert_eq!(layout.heap_base, 2 * MIB + 112);

    let err = with_data(LinkOptions {
        stack_first: true,
        global_base: Some(4096),
        ..options()
    })
    .unwrap_err();
    assert!(
        matches!(err, LinkError::GlobalBaseInStack { base: 4096, .. }),
        "{err}"
    );
}

#[test]
fn global_base() {
    let (l, bytes) = with_data(LinkOptions {
        global_base: Some(4096),
        ..options()
    })
    .unwrap();
    let s = summary(&bytes);
    assert_eq!(s.data[0], (4096, vec![1; 100]));
    assert_eq!(l.data_end(), Some(4196));
    // Stack aligned to 16 after the data.
    assert_eq!(s.stack_pointer(), (4208 + MIB) as i64);
    assert_eq!(l.heap_base(), Some(4208 + MIB));
}

#[test]
fn initial_memory() {
    let (_, bytes) = trivial(LinkOptions {
        initial_memory: Some(2 * MIB),
        ..options()
    });
    assert_eq!(summary(&bytes).memory_limits(), (32, None));

    let unaligned = with_data(LinkOptions {
        initial_memory: Some(2 * MIB + 1),
        ..options()
    })
    .unwrap_err();
    assert!(
        matches!(unaligned, LinkError::MemoryUnaligned { .. }),
        "{unaligned}"
    );
    let small = with_data(LinkOptions {
        initial_memory: Some(65536),
        ..options()
    })
    .unwrap_err();
    assert!(matches!(small, LinkError::MemoryTooSmall { .. }), "{small}");
    assert!(small.to_string().contains("--initial-memory"), "{small}");
}

#[test]
fn max_memory() {
    let (_, bytes) = trivial(LinkOptions {
        max_memory: Some(4 * MIB),
        ..options()
    });
    assert_eq!(summary(&bytes).memory_limits(), (17, Some(64)));

    let small = with_data(LinkOptions {
        max_memory: Some(MIB),
        ..options()
    })
    .unwrap_err();
    assert!(matches!(small, LinkError::MemoryTooSmall { .. }), "{small}");
    let large = with_data(LinkOptions {
        max_memory: Some(8 << 30),
        ..options()
    })
    .unwrap_err();
    assert!(
        matches!(
            large,
            LinkError::TooManyPages {
                pages: 131072,
                limit: 65536,
                ..
            }
        ),
        "{large}"
    );
    let unaligned = with_data(LinkOptions {
        max_memory: Some(4 * MIB + 8),
        ..options()
    })
    .unwrap_err();
    assert!(
        matches!(unaligned, LinkError::MemoryUnaligned { .. }),
        "{unaligned}"
    );
}

#[test]
fn too_many_pages() {
    let err = with_data(LinkOptions {
        stack_size: 5 << 30,
        ..options()
    })
    .unwrap_err();
    assert!(matches!(err, LinkError::TooManyPages { .. }), "{err}");
    // wasm64 has room for it.
    let (_, bytes) = with_data(LinkOptions {
        stack_size: 5 << 30,
        memory64: true,
        ..options()
    })
    .unwrap();
    assert!(summary(&bytes).memory_limits().0 > 65536);
}

#[test]
fn import_memory() {
    let (_, bytes) = with_data(LinkOptions {
        import_memory: true,
        max_memory: Some(2 * MIB),
        ..options()
    })
    .unwrap();
    let s = summary(&bytes);
    assert!(s.memory.is_none());
    assert!(!s.sections.contains(&"memory".to_string()));
    assert_eq!(
        s.imports[0],
        ("env".into(), "memory".into(), "memory".into())
    );
    assert_eq!(s.memory_limits(), (17, Some(32)));
    // Exported too, since export_memory defaults to true.
    assert_eq!(s.export("memory"), Some((ExternalKind::Memory, 0)));
    let mut run = Run::with_memory(&bytes, Some((17, Some(32))));
    assert_eq!(run.call0("main"), 1);
}

#[test]
fn export_memory_off() {
    let (_, bytes) = trivial(LinkOptions {
        export_memory: false,
        ..options()
    });
    let s = summary(&bytes);
    assert_eq!(s.export("memory"), None);
    assert!(s.memory.is_some());
}

#[test]
fn import_table() {
    let (_, bytes) = trivial(LinkOptions {
        import_table: true,
        ..options()
    });
    let s = summary(&bytes);
    assert_eq!(
        s.imports,
        [(
            "env".into(),
            "__indirect_function_table".into(),
            "table".into()
        )]
    );
    let t = s.imported_table.unwrap();
    assert_eq!((t.initial, t.maximum), (1, None));
    assert!(s.table.is_none());
}

#[test]
fn export_table() {
    let (_, bytes) = trivial(LinkOptions {
        export_table: true,
        ..options()
    });
    let s = summary(&bytes);
    assert_eq!(
        s.export("__indirect_function_table"),
        Some((ExternalKind::Table, 0))
    );
    let t = s.table.unwrap();
    assert_eq!((t.initial, t.maximum), (1, Some(1)));
}

#[test]
fn export_by_name() {
    let mut l = Linker::new(LinkOptions {
        exports: vec!["helper".into(), "__heap_base".into(), "table".into()],
        ..options()
    });
    let helper = l.declare_function("helper", &[], &[ValType::I32]).unwrap();
    l.set_function_body(helper, Mir::new().i32(3).done())
        .unwrap();
    l.declare_data("table", vec![0; 4], 4, false, vec![])
        .unwrap();
    let bytes = l.flush().unwrap();
    let s = summary(&bytes);
    assert_eq!(s.export("helper"), Some((ExternalKind::Func, 0)));
    // Data symbols are exported as immutable globals holding their address.
    assert_eq!(s.export("__heap_base"), Some((ExternalKind::Global, 1)));
    assert_eq!(s.export("table"), Some((ExternalKind::Global, 2)));
    assert_eq!(s.globals[1].1, (1024 + 16 + MIB) as i64);
    assert!(!s.globals[1].0.mutable);
    assert_eq!(s.globals[2].1, 1024);
    assert_eq!(
        s.global_names,
        [
            (0, "__stack_pointer".into()),
            (1, "__heap_base".into()),
            (2, "table".into())
        ]
    );
    let mut run = Run::new(&bytes);
    assert_eq!(run.call0("helper"), 3);
    assert_eq!(run.global("table"), 1024);

    let mut missing = Linker::new(LinkOptions {
        exports: vec!["nope".into()],
        ..options()
    });
    let err = missing.flush().unwrap_err();
    assert_eq!(
        err,
        LinkError::ExportNotFound {
            name: "nope".into()
        }
    );
    assert!(err.to_string().contains("`nope`"));
}

#[test]
fn export_data_symbol() {
    let mut l = Linker::new(options());
    let v = l
        .declare_data("version", 3u32.to_le_bytes().to_vec(), 4, false, vec![])
        .unwrap();
    l.export_data(v, "version").unwrap();
    let bytes = l.flush().unwrap();
    let mut run = Run::new(&bytes);
    assert_eq!(run.global("version"), 1024);
    let _ = &mut run;
}

#[test]
fn entry() {
    let mut l = Linker::new(LinkOptions {
        entry: Some("_start".into()),
        ..options()
    });
    let start = l.declare_function("_start", &[], &[]).unwrap();
    l.set_function_body(start, Mir::new().done()).unwrap();
    let bytes = l.flush().unwrap();
    let s = summary(&bytes);
    assert_eq!(s.export("_start"), Some((ExternalKind::Func, 0)));
    assert!(!s.sections.contains(&"start".to_string()));

    let mut missing = Linker::new(LinkOptions {
        entry: Some("_start".into()),
        ..options()
    });
    assert_eq!(
        missing.flush().unwrap_err(),
        LinkError::EntryNotFound {
            name: "_start".into()
        }
    );
    // An import is not a definition.
    missing.declare_import("env", "_start", &[], &[]).unwrap();
    assert!(matches!(
        missing.flush().unwrap_err(),
        LinkError::EntryNotFound { .. }
    ));
}

#[test]
fn no_entry() {
    let (_, bytes) = trivial(LinkOptions {
        entry: Some("_start".into()),
        no_entry: true,
        ..options()
    });
    assert_eq!(summary(&bytes).export("_start"), None);
}

#[test]
fn allow_undefined() {
    let build = |allow_undefined| {
        let mut l = Linker::new(LinkOptions {
            allow_undefined,
            ..options()
        });
        let ext = l
            .declare_undefined_function("print", &[ValType::I32], &[])
            .unwrap();
        let missing = l.declare_data_symbol("missing").unwrap();
        let main = l.declare_function("main", &[], &[ValType::I32]).unwrap();
        l.set_function_body(
            main,
            Mir::new()
                .i32(4)
                .sym(MirTag::Call, ext)
                .op2(MirTag::MemAddr, missing.0, 12)
                .done(),
        )
        .unwrap();
        l.export_function(main, "main").unwrap();
        l.flush()
    };
    let err = build(false).unwrap_err();
    assert_eq!(
        err,
        LinkError::Undefined {
            name: "print".into()
        }
    );
    assert_eq!(err.to_string(), "undefined symbol `print`");

    let bytes = build(true).unwrap();
    let s = summary(&bytes);
    assert_eq!(s.imports, [("env".into(), "print".into(), "func 0".into())]);
    let mut run = Run::new(&bytes);
    // An undefined data symbol is at address 0.
    assert_eq!(run.call0("main"), 12);
    assert_eq!(run.printed(), [4]);
}
