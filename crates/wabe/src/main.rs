//! The `wabe` command: build, run and check `.air` programs.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use wabe::{diag, run, Options};

#[derive(Parser)]
#[command(
    name = "wabe",
    version,
    about = "wabe: a WebAssembly compiler backend for Zig-like IR"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Copy, Clone, ValueEnum, PartialEq, Eq)]
enum Emit {
    /// A wasm binary.
    Wasm,
    /// WebAssembly text.
    Wat,
    /// wabe's machine IR, per function.
    Mir,
    /// A relocatable object (WebAssembly/tool-conventions Linking.md), for `wasm-ld` or
    /// `wabe link`.
    Obj,
}

#[derive(Copy, Clone, ValueEnum, PartialEq, Eq)]
enum TargetArg {
    Wasm32,
    Wasm64,
}

#[derive(clap::Args, Clone, Default)]
struct LinkArgs {
    /// Size of the stack in bytes (default 1 MiB).
    #[arg(long, value_name = "BYTES")]
    stack_size: Option<u64>,
    /// Put the stack before the data in linear memory.
    #[arg(long)]
    stack_first: bool,
    /// Where data starts in linear memory (default 1024).
    #[arg(long, value_name = "ADDR")]
    global_base: Option<u64>,
    /// Initial memory size in bytes (a multiple of 64 KiB).
    #[arg(long, value_name = "BYTES")]
    initial_memory: Option<u64>,
    /// Maximum memory size in bytes (a multiple of 64 KiB).
    #[arg(long, value_name = "BYTES")]
    max_memory: Option<u64>,
    /// Import the memory as `env.memory` instead of defining it.
    #[arg(long)]
    import_memory: bool,
    /// Do not export the memory.
    #[arg(long)]
    no_export_memory: bool,
    /// Import the function table as `env.__indirect_function_table`.
    #[arg(long)]
    import_table: bool,
    /// Export the function table as `__indirect_function_table`.
    #[arg(long)]
    export_table: bool,
    /// Export this symbol (repeatable).
    #[arg(long, value_name = "NAME")]
    export: Vec<String>,
    /// The entry function (exported).
    #[arg(long, value_name = "NAME")]
    entry: Option<String>,
    /// Do not require an entry function.
    #[arg(long)]
    no_entry: bool,
    /// Allow undefined symbols (they become imports).
    #[arg(long)]
    allow_undefined: bool,
    /// Keep functions and data that nothing exported refers to.
    #[arg(long)]
    no_gc_sections: bool,
    /// Export every defined function with global binding (`export fn`s and the global
    /// functions of linked objects).
    #[arg(long)]
    export_all: bool,
    /// Target features, e.g. `+tail-call,-bulk-memory`.
    #[arg(long, value_name = "FEATURES")]
    features: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Compile an .air file to a wasm module (linking objects and archives given with it).
    Build {
        /// The input file, then any relocatable objects (`.o`) and archives (`.a`) to link
        /// with it.
        file: PathBuf,
        /// Objects and archives to link with the program.
        objects: Vec<PathBuf>,
        /// Where to write the output (default: the input with the extension of --emit).
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
        /// What to write.
        #[arg(long, value_enum, default_value = "wasm")]
        emit: Emit,
        /// The target (overrides nothing: must agree with the file's `target` item if it has one).
        #[arg(long, value_enum)]
        target: Option<TargetArg>,
        #[command(flatten)]
        link: LinkArgs,
    },
    /// Compile an .air file and call one of its exported functions in the embedded runtime.
    Run {
        /// The input file.
        file: PathBuf,
        /// The exported function to call.
        #[arg(long, value_name = "NAME")]
        invoke: String,
        /// Arguments, parsed by the function's parameter types.
        #[arg(allow_hyphen_values = true)]
        args: Vec<String>,
        /// Run in the reference interpreter (wabe-interp) instead of compiling.
        #[arg(long)]
        interp: bool,
        #[command(flatten)]
        link: LinkArgs,
    },
    /// Link relocatable objects (`.o`, from wabe, clang or Zig) and archives (`.a`) into an
    /// executable module.
    Link {
        /// The objects and archives.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Where to write the module (default `a.out.wasm`).
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        link: LinkArgs,
    },
    /// Parse and verify an .air file.
    Check {
        /// The input file.
        file: PathBuf,
    },
}

fn read(path: &std::path::Path) -> Result<String, ExitCode> {
    std::fs::read_to_string(path).map_err(|e| {
        eprintln!("error: cannot read `{}`: {e}", path.display());
        ExitCode::from(2)
    })
}

fn options(link: &LinkArgs) -> Result<Options, String> {
    let mut o = Options::default();
    let l = &mut o.link;
    if let Some(s) = link.stack_size {
        l.stack_size = s;
    }
    l.stack_first = link.stack_first;
    l.global_base = link.global_base;
    l.initial_memory = link.initial_memory;
    l.max_memory = link.max_memory;
    l.import_memory = link.import_memory;
    l.export_memory = !link.no_export_memory && !link.import_memory;
    l.import_table = link.import_table;
    l.export_table = link.export_table;
    l.exports = link.export.clone();
    l.entry = link.entry.clone();
    l.no_entry = link.no_entry;
    l.allow_undefined = link.allow_undefined;
    l.gc_sections = !link.no_gc_sections;
    l.export_all = link.export_all;
    if let Some(f) = &link.features {
        o.codegen.apply_features(f)?;
    }
    Ok(o)
}

fn compile(
    path: &std::path::Path,
    src: &str,
    link: &LinkArgs,
    target: Option<TargetArg>,
) -> Result<wabe::Output, ExitCode> {
    let opts = options(link).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(2)
    })?;
    let shown = path.display().to_string();
    let mut module = wabe_air::parse(src).map_err(|e| {
        eprint!(
            "{}",
            diag::render_error(&shown, src, &wabe::Error::Parse(e))
        );
        ExitCode::from(2)
    })?;
    if let Some(t) = target {
        let want = match t {
            TargetArg::Wasm32 => wabe_types::Target::Wasm32,
            TargetArg::Wasm64 => wabe_types::Target::Wasm64,
        };
        if want != module.target {
            match wabe_air::parse_with_target(src, want) {
                Ok(m) if m.target == want => module = m,
                _ => {
                    eprintln!(
                        "{shown}: error: the file declares `target {}` but --target {} was given",
                        module.target.name(),
                        want.name()
                    );
                    return Err(ExitCode::from(2));
                }
            }
        }
    }
    wabe_air::verify(&mut module).map_err(|e| {
        eprint!(
            "{}",
            diag::render_error(&shown, src, &wabe::Error::Verify(e))
        );
        ExitCode::from(2)
    })?;
    let wasm = wabe::Compilation::new(&module, &opts)
        .and_then(|mut c| c.flush())
        .map_err(|e| {
            eprint!("{}", diag::render_error(&shown, src, &e));
            ExitCode::from(2)
        })?;
    Ok(wabe::Output { module, wasm })
}

/// `wabe run --interp`: parse, verify and run in the reference interpreter, printing as the
/// compiled run does; illegal behaviour prints `illegal behaviour: ...` and exits with 1.
fn run_interp(
    file: &std::path::Path,
    src: &str,
    invoke: &str,
    args: &[String],
) -> Result<(), ExitCode> {
    let shown = file.display().to_string();
    let mut module = wabe_air::parse(src).map_err(|e| {
        eprint!(
            "{}",
            diag::render_error(&shown, src, &wabe::Error::Parse(e))
        );
        ExitCode::from(2)
    })?;
    wabe_air::verify(&mut module).map_err(|e| {
        eprint!(
            "{}",
            diag::render_error(&shown, src, &wabe::Error::Verify(e))
        );
        ExitCode::from(2)
    })?;
    let mut host = wabe_interp::PrintHost::default();
    let r = wabe_interp::run(
        &module,
        &mut host,
        invoke,
        args,
        wabe_interp::Limits::default(),
    );
    for line in &host.printed {
        println!("{line}");
    }
    match r {
        Ok(r) => {
            for line in &r.values {
                println!("{line}");
            }
            Ok(())
        }
        Err(wabe_interp::Stop::Usage(m)) => {
            eprintln!("error: {m}");
            Err(ExitCode::from(2))
        }
        Err(stop) => {
            eprintln!("{stop}");
            Err(ExitCode::from(1))
        }
    }
}

/// Links objects and archives (`first`, already in memory, then the files) with wabe's object
/// linker.
fn link_objects(
    first: Vec<(String, Vec<u8>)>,
    files: &[PathBuf],
    link: &LinkArgs,
) -> Result<Vec<u8>, ExitCode> {
    let opts = options(link).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(2)
    })?;
    let mut inputs = first;
    for f in files {
        let bytes = std::fs::read(f).map_err(|e| {
            eprintln!("error: cannot read `{}`: {e}", f.display());
            ExitCode::from(2)
        })?;
        inputs.push((f.display().to_string(), bytes));
    }
    let options = wabe_link::object::ObjectLinkOptions { link: opts.link };
    wabe_link::object::link(inputs, &options).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(2)
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match real_main(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

fn real_main(cli: Cli) -> Result<(), ExitCode> {
    match cli.command {
        Command::Check { file } => {
            let src = read(&file)?;
            let shown = file.display().to_string();
            let mut module = wabe_air::parse(&src).map_err(|e| {
                eprint!(
                    "{}",
                    diag::render_error(&shown, &src, &wabe::Error::Parse(e))
                );
                ExitCode::from(2)
            })?;
            wabe_air::verify(&mut module).map_err(|e| {
                eprint!(
                    "{}",
                    diag::render_error(&shown, &src, &wabe::Error::Verify(e))
                );
                ExitCode::from(2)
            })?;
            Ok(())
        }
        Command::Link {
            files,
            output,
            link,
        } => {
            let bytes = link_objects(Vec::new(), &files, &link)?;
            let path = output.unwrap_or_else(|| PathBuf::from("a.out.wasm"));
            std::fs::write(&path, bytes).map_err(|e| {
                eprintln!("error: cannot write `{}`: {e}", path.display());
                ExitCode::from(1)
            })
        }
        Command::Build {
            file,
            objects,
            output,
            emit,
            target,
            link,
        } => {
            let src = read(&file)?;
            let mut out = compile(&file, &src, &link, target)?;
            if emit == Emit::Obj || !objects.is_empty() {
                let opts = options(&link).map_err(|_| ExitCode::from(2))?;
                let object = wabe::Compilation::new(&out.module, &opts)
                    .and_then(|mut c| c.flush_object())
                    .map_err(|e| {
                        eprint!(
                            "{}",
                            diag::render_error(&file.display().to_string(), &src, &e)
                        );
                        ExitCode::from(2)
                    })?;
                out.wasm = if emit == Emit::Obj {
                    if !objects.is_empty() {
                        eprintln!("error: --emit obj writes the object of the .air file alone; link objects with `wabe link`");
                        return Err(ExitCode::from(2));
                    }
                    object
                } else {
                    link_objects(vec![(file.display().to_string(), object)], &objects, &link)?
                };
            }
            let bytes: Vec<u8> = match emit {
                Emit::Wasm | Emit::Obj => out.wasm,
                Emit::Wat => wasmprinter::print_bytes(&out.wasm)
                    .map_err(|e| {
                        eprintln!("error: cannot print the module as text: {e}");
                        ExitCode::from(1)
                    })?
                    .into_bytes(),
                Emit::Mir => {
                    let opts = options(&link).map_err(|_| ExitCode::from(2))?;
                    wabe::Compilation::print_mir(&out.module, &opts)
                        .map_err(|e| {
                            eprint!(
                                "{}",
                                diag::render_error(&file.display().to_string(), &src, &e)
                            );
                            ExitCode::from(2)
                        })?
                        .into_bytes()
                }
            };
            let path = output.unwrap_or_else(|| {
                file.with_extension(match emit {
                    Emit::Wasm => "wasm",
                    Emit::Wat => "wat",
                    Emit::Mir => "mir",
                    Emit::Obj => "o",
                })
            });
            if path.as_os_str() == "-" {
                use std::io::Write;
                std::io::stdout()
                    .write_all(&bytes)
                    .map_err(|_| ExitCode::from(1))?;
                return Ok(());
            }
            std::fs::write(&path, bytes).map_err(|e| {
                eprintln!("error: cannot write `{}`: {e}", path.display());
                ExitCode::from(1)
            })
        }
        Command::Run {
            file,
            invoke,
            args,
            link,
            interp,
        } => {
            let src = read(&file)?;
            if interp {
                return run_interp(&file, &src, &invoke, &args);
            }
            let out = compile(&file, &src, &link, None)?;
            match run::invoke(&out.module, &out.wasm, &invoke, &args) {
                Ok(r) => {
                    for line in r.printed.iter().chain(&r.values) {
                        println!("{line}");
                    }
                    Ok(())
                }
                Err(run::RunError::Trap { reason, printed }) => {
                    for line in printed {
                        println!("{line}");
                    }
                    eprintln!("trap: {reason}");
                    Err(ExitCode::from(1))
                }
                Err(run::RunError::Usage(m)) => {
                    eprintln!("error: {m}");
                    Err(ExitCode::from(2))
                }
                Err(run::RunError::Load(m)) => {
                    eprintln!("error: {m}");
                    Err(ExitCode::from(1))
                }
            }
        }
    }
}
