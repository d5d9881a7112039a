// builtins.wasm for Nix 2.8, as a plugin (`plugin-files`): the thin C++
// adapter over Nix's own API. The ABI itself (value ids, guest memory,
// buffers, WASI, its messages) is nix-wasm-host's, in Rust
// (crates/nix-wasm-plugin); this file registers the builtin, reads its
// first argument as Determinate Nix 3.22's prim_wasm does, and gives the
// Rust side the evaluator's values through the nix_wasm_value_* functions.
//
// Seam rules: values cross as handles into WasmCall::values, a vector Boehm
// GC scans (never as Value * held by Rust); no C++ exception crosses into
// Rust or Wasm (each function catches it, keeps it, returns 1); the Rust
// side never lets a panic out.
//
// Built by scripts/build-nix-plugin.sh against Debian's Nix 2.8.0 sources.

#include "eval.hh"
#include "eval-inline.hh"
#include "globals.hh"
#include "primops.hh"
#include "util.hh"

#include <gc/gc.h>

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <limits>
#include <optional>
#include <string>
#include <vector>

using namespace nix;

namespace {

/// The values and the pending failure of one builtins.wasm call.
struct WasmCall
{
    EvalState & state;
    const Pos & pos;
    /// Handle -> value; handle 0 is reserved. Boehm GC scans this vector
    /// (traceable_allocator), so every value a call holds stays alive.
    ValueVector values{nullptr};
    /// The message of the value function that failed last.
    std::string error;
    /// The exception behind it.
    std::exception_ptr exception;
    /// Results lent to the Rust side until the next value function.
    std::vector<uint32_t> handles;
    std::string text;
    std::string path;

    WasmCall(EvalState & state, const Pos & pos)
        : state(state)
        , pos(pos)
    {
    }

    uint32_t add(Value * v)
    {
        if (values.size() > std::numeric_limits<uint32_t>::max())
            throw Error("a Wasm call cannot hold more than %d values", std::numeric_limits<uint32_t>::max());
        values.push_back(v);
        return values.size() - 1;
    }

    Value & get(uint32_t handle)
    {
        if (handle == 0 || handle >= values.size())
            throw Error("invalid value handle %d", handle);
        return *values[handle];
    }

    Value & alloc(uint32_t * handle)
    {
        auto v = state.allocValue();
        *handle = add(v);
        return *v;
    }
};

/// Runs a value function, turning any exception into status 1 with its
/// message kept for nix_wasm_value_error.
template<typename F>
int guarded(void * p, F && body)
{
    auto & call = *static_cast<WasmCall *>(p);
    try {
        body(call);
        return 0;
    } catch (...) {
        call.exception = std::current_exception();
    }
    try {
        std::rethrow_exception(call.exception);
    } catch (Error & e) {
        call.error = e.info().msg.str();
    } catch (Interrupted & e) {
        call.error = "interrupted by the user";
    } catch (std::exception & e) {
        call.error = e.what();
    } catch (...) {
        call.error = "unknown exception";
    }
    return 1;
}

/// A test hook (NIX_WASM_PLUGIN_GC_ON_CALL=1): collects garbage while a
/// call is on the stack (in call_function, and while lists and sets are
/// being built), so that tests see that the values a call holds survive.
void collectForTests()
{
    static const bool collect = getEnv("NIX_WASM_PLUGIN_GC_ON_CALL").value_or("") == "1";
    if (collect)
        GC_gcollect();
}

/// The path a value names, as Nix 2.8's builtins.readFile finds it
/// (primops.cc's realisePath, which is static there): coerced, its context
/// realised, and checked against pure and restricted evaluation.
Path realisePath(EvalState & state, const Pos & pos, Value & v)
{
    PathSet context;
    auto path = state.coerceToPath(pos, v, context);
    try {
        StringMap rewrites = state.realiseContext(context);
        auto realPath = state.toRealPath(rewriteStrings(path, rewrites), context);
        return state.checkSourcePath(realPath);
    } catch (Error & e) {
        e.addTrace(pos, "while realising the context of path '%s'", path);
        throw;
    }
}

} // namespace

extern "C" {

// The Rust half (crates/nix-wasm-plugin/src/lib.rs).
const void * nix_wasm_plugin_load(const uint8_t * source, size_t len, int32_t is_wat, int32_t * is_wasi, void * error);
void nix_wasm_plugin_release(const void * plugin);
int32_t nix_wasm_plugin_call(
    const void * plugin,
    const uint8_t * function,
    size_t function_len,
    void * call,
    uint32_t argument,
    uint32_t * result,
    void * error);

struct AttrEntry
{
    const char * name;
    size_t name_len;
    uint32_t value;
};

// Called from Rust: nothing may be thrown out of them.
void nix_wasm_set_string(void * target, const char * data, size_t len)
{
    try {
        static_cast<std::string *>(target)->assign(data, len);
    } catch (...) {
    }
}

void nix_wasm_warn(const char * data, size_t len)
{
    try {
        warn("%s", std::string(data, len));
    } catch (...) {
    }
}

void nix_wasm_value_error(void * p, const char ** data, size_t * len)
{
    auto & call = *static_cast<WasmCall *>(p);
    *data = call.error.data();
    *len = call.error.size();
}

int nix_wasm_value_type(void * p, uint32_t h, uint32_t * out)
{
    return guarded(p, [&](WasmCall & c) {
        auto & v = c.get(h);
        c.state.forceValue(v, c.pos);
        switch (v.type()) {
        case nInt: *out = 1; break;
        case nFloat: *out = 2; break;
        case nBool: *out = 3; break;
        case nString: *out = 4; break;
        case nPath: *out = 5; break;
        case nNull: *out = 6; break;
        case nAttrs: *out = 7; break;
        case nList: *out = 8; break;
        case nFunction: *out = 9; break;
        default: *out = 0; break;
        }
    });
}

int nix_wasm_value_get_int(void * p, uint32_t h, int64_t * out)
{
    return guarded(p, [&](WasmCall & c) { *out = c.state.forceInt(c.get(h), c.pos); });
}

int nix_wasm_value_get_float(void * p, uint32_t h, double * out)
{
    return guarded(p, [&](WasmCall & c) { *out = c.state.forceFloat(c.get(h), c.pos); });
}

int nix_wasm_value_get_bool(void * p, uint32_t h, int32_t * out)
{
    return guarded(p, [&](WasmCall & c) { *out = c.state.forceBool(c.get(h), c.pos); });
}

int nix_wasm_value_get_string(void * p, uint32_t h, const char ** data, size_t * len)
{
    return guarded(p, [&](WasmCall & c) {
        auto s = c.state.forceString(c.get(h), c.pos);
        *data = s.data();
        *len = s.size();
    });
}

int nix_wasm_value_get_path(void * p, uint32_t h, int32_t * is_path, const char ** data, size_t * len)
{
    return guarded(p, [&](WasmCall & c) {
        auto & v = c.get(h);
        c.state.forceValue(v, c.pos);
        *is_path = v.type() == nPath;
        if (*is_path) {
            *data = v.path;
            *len = strlen(v.path);
        }
    });
}

// As the evaluator's copy_list and copy_attrset: handles are made only for
// what will be copied; a length query makes none.
int nix_wasm_value_get_list(void * p, uint32_t h, size_t max_len, const uint32_t ** items, size_t * len)
{
    return guarded(p, [&](WasmCall & c) {
        auto & v = c.get(h);
        c.state.forceList(v, c.pos);
        c.handles.clear();
        if (v.listSize() <= max_len)
            for (auto elem : v.listItems())
                c.handles.push_back(c.add(elem));
        *items = c.handles.data();
        *len = v.listSize();
    });
}

int nix_wasm_value_get_attrs(void * p, uint32_t h, size_t max_len, const uint32_t ** records, size_t * len)
{
    return guarded(p, [&](WasmCall & c) {
        auto & v = c.get(h);
        c.state.forceAttrs(v, c.pos);
        c.handles.clear();
        if (v.attrs->size() <= max_len)
            for (auto & attr : *v.attrs) {
                c.handles.push_back(c.add(attr.value));
                c.handles.push_back(((const std::string &) attr.name).size());
            }
        *records = c.handles.data();
        *len = v.attrs->size();
    });
}

int nix_wasm_value_get_attr_name(
    void * p, uint32_t h, size_t index, int32_t * found, const char ** data, size_t * len)
{
    return guarded(p, [&](WasmCall & c) {
        auto & v = c.get(h);
        c.state.forceAttrs(v, c.pos);
        *found = index < v.attrs->size();
        if (*found) {
            const std::string & name = (*v.attrs)[index].name;
            *data = name.data();
            *len = name.size();
        }
    });
}

int nix_wasm_value_get_attr(void * p, uint32_t h, const char * name, size_t name_len, uint32_t * out)
{
    return guarded(p, [&](WasmCall & c) {
        auto & v = c.get(h);
        c.state.forceAttrs(v, c.pos);
        auto attr = v.attrs->find(c.state.symbols.create(std::string_view(name, name_len)));
        *out = attr == v.attrs->end() ? 0 : c.add(attr->value);
    });
}

int nix_wasm_value_make_int(void * p, int64_t n, uint32_t * out)
{
    return guarded(p, [&](WasmCall & c) { c.alloc(out).mkInt(n); });
}

int nix_wasm_value_make_float(void * p, double x, uint32_t * out)
{
    return guarded(p, [&](WasmCall & c) { c.alloc(out).mkFloat(x); });
}

int nix_wasm_value_make_bool(void * p, int32_t b, uint32_t * out)
{
    return guarded(p, [&](WasmCall & c) { c.alloc(out).mkBool(b != 0); });
}

int nix_wasm_value_make_null(void * p, uint32_t * out)
{
    return guarded(p, [&](WasmCall & c) { c.alloc(out).mkNull(); });
}

// Nix 2.8 strings and paths end at their first NUL byte.
int nix_wasm_value_make_string(void * p, const char * data, size_t len, uint32_t * out)
{
    return guarded(p, [&](WasmCall & c) { c.alloc(out).mkString(std::string_view(data, len)); });
}

int nix_wasm_value_make_path(void * p, const char * data, size_t len, uint32_t * out)
{
    return guarded(p, [&](WasmCall & c) { c.alloc(out).mkPath(std::string_view(data, len)); });
}

int nix_wasm_value_make_list(void * p, const uint32_t * items, size_t len, uint32_t * out)
{
    return guarded(p, [&](WasmCall & c) {
        // Every item is looked up before the list is made.
        ValueVector elems;
        for (size_t i = 0; i < len; ++i)
            elems.push_back(&c.get(items[i]));
        auto & v = c.alloc(out);
        c.state.mkList(v, len);
        collectForTests();
        for (size_t i = 0; i < len; ++i)
            v.listElems()[i] = elems[i];
    });
}

int nix_wasm_value_make_attrset(void * p, const AttrEntry * entries, size_t len, uint32_t * out)
{
    return guarded(p, [&](WasmCall & c) {
        auto builder = c.state.buildBindings(len);
        for (size_t i = 0; i < len; ++i)
            builder.insert(
                c.state.symbols.create(std::string_view(entries[i].name, entries[i].name_len)),
                &c.get(entries[i].value));
        collectForTests();
        c.alloc(out).mkAttrs(builder.finish());
    });
}

int nix_wasm_value_check_function(void * p, uint32_t f)
{
    return guarded(p, [&](WasmCall & c) { c.state.forceFunction(c.get(f), c.pos); });
}

int nix_wasm_value_call(void * p, uint32_t f, const uint32_t * args, size_t len, uint32_t * out)
{
    return guarded(p, [&](WasmCall & c) {
        auto & fun = c.get(f);
        c.state.forceFunction(fun, c.pos);
        ValueVector argv;
        for (size_t i = 0; i < len; ++i)
            argv.push_back(&c.get(args[i]));
        auto & result = c.alloc(out);
        c.state.callFunction(fun, len, argv.data(), result, c.pos);
        collectForTests();
    });
}

int nix_wasm_value_make_app(void * p, uint32_t f, const uint32_t * args, size_t len, uint32_t * out)
{
    return guarded(p, [&](WasmCall & c) {
        auto res = &c.get(f);
        for (size_t i = 0; i < len; ++i) {
            auto arg = &c.get(args[i]);
            auto app = c.state.allocValue();
            app->mkApp(res, arg);
            res = app;
        }
        *out = c.add(res);
    });
}

int nix_wasm_value_read_file(
    void * p, uint32_t h, const char ** path, size_t * path_len, const char ** data, size_t * len)
{
    return guarded(p, [&](WasmCall & c) {
        c.path = realisePath(c.state, c.pos, c.get(h));
        c.text = readFile(c.path);
        *path = c.path.data();
        *path_len = c.path.size();
        *data = c.text.data();
        *len = c.text.size();
    });
}

} // extern "C"

namespace {

/// A module reference of the Rust side, given back when done.
struct LoadedModule
{
    const void * plugin = nullptr;
    bool wasi = false;

    LoadedModule(std::string_view source, bool wat)
    {
        std::string error;
        int32_t isWasi = 0;
        plugin = nix_wasm_plugin_load((const uint8_t *) source.data(), source.size(), wat, &isWasi, &error);
        if (!plugin)
            throw Error(error);
        wasi = isWasi != 0;
    }

    LoadedModule(const LoadedModule &) = delete;
    LoadedModule & operator=(const LoadedModule &) = delete;

    ~LoadedModule()
    {
        nix_wasm_plugin_release(plugin);
    }
};

/// builtins.wasm { path | wat; function?; } argument, as Determinate Nix
/// 3.22.2's prim_wasm checks and runs it.
void prim_wasm(EvalState & state, const Pos & pos, Value ** args, Value & v)
{
    state.forceAttrs(*args[0], pos);
    auto & config = *args[0]->attrs;

    for (auto & attr : config) {
        const std::string & name = attr.name;
        if (name != "path" && name != "wat" && name != "function")
            throw Error("unknown attribute '%s' in first argument to `builtins.wasm`", name);
    }

    auto pathAttr = config.find(state.symbols.create("path"));
    auto watAttr = config.find(state.symbols.create("wat"));
    bool hasPath = pathAttr != config.end();
    bool hasWat = watAttr != config.end();
    if (hasPath && hasWat)
        throw Error("'path' and 'wat' are mutually exclusive in first argument to `builtins.wasm`");
    if (!hasPath && !hasWat)
        throw Error("missing required 'path' or 'wat' attribute in first argument to `builtins.wasm`");

    try {
        std::string source = hasPath ? realisePath(state, pos, *pathAttr->value)
                                     : std::string(state.forceStringNoCtx(*watAttr->value, pos));
        LoadedModule module(source, hasWat);

        auto functionAttr = config.find(state.symbols.create("function"));
        std::optional<std::string> function;
        if (module.wasi) {
            if (functionAttr != config.end())
                throw Error("'function' attribute is not allowed for WASI modules");
        } else {
            if (functionAttr == config.end())
                throw Error(
                    "missing required 'function' attribute in first argument to `builtins.wasm` for non-WASI modules");
            function = std::string(state.forceStringNoCtx(*functionAttr->value, pos));
        }

        WasmCall call(state, pos);
        auto argument = call.add(args[1]);
        uint32_t result = 0;
        std::string error;
        if (nix_wasm_plugin_call(
                module.plugin,
                function ? (const uint8_t *) function->data() : nullptr,
                function ? function->size() : 0,
                &call,
                argument,
                &result,
                &error)) {
            // A user's interrupt stays one; any other failure is the
            // call's error, with the message of what failed inside it (as
            // the real builtin, which turns it into a Wasm trap).
            if (call.exception) {
                try {
                    std::rethrow_exception(call.exception);
                } catch (Interrupted &) {
                    throw;
                } catch (...) {
                }
            }
            throw Error(error);
        }
        auto & vRes = call.get(result);
        state.forceValue(vRes, pos);
        v = vRes;
    } catch (Error & e) {
        e.addTrace(pos, "while executing a Wasm module");
        throw;
    }
}

const char * doc = R"(
  Call a Wasm function with the specified argument (the builtins.wasm of
  Determinate Nix, through mailplan's nix-wasm-plugin).

  The first argument must be an attribute set with the following attributes:
  - `path`: Path to the Wasm module (mutually exclusive with `wat`)
  - `wat`: WebAssembly Text format source as a string (mutually exclusive with `path`)
  - `function`: Function name to call (required for non-WASI modules, not allowed for WASI modules)

  The second argument is the value to pass to the function.
)";

/// The Nix this adapter was compiled against; its C++ API has no stability
/// promise, so the builtin is registered only there.
const char * builtFor = NIX_WASM_PLUGIN_NIX_VERSION;

std::optional<RegisterPrimOp> registration;

__attribute__((constructor)) void registerWasm()
{
    if (nixVersion != builtFor) {
        warn(
            "nix-wasm-plugin was built for Nix %s and this is Nix %s: builtins.wasm is not registered; rebuild it with scripts/build-nix-plugin.sh",
            builtFor,
            nixVersion);
        return;
    }
    registration.emplace(RegisterPrimOp::Info{
        .name = "__wasm",
        .args = {"config", "arg"},
        .arity = 2,
        .doc = doc,
        .fun = prim_wasm,
    });
}

} // namespace
