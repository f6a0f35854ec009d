// ====================================================================================================
// Import-time effects of a module, by names. Rules in module_effects.hpp.
// ====================================================================================================
#include "shrinkpy/analyzer/module_effects.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <string_view>

#include "opcodes_311.hpp"
#include "shrinkpy/analyzer/imports.hpp"
#include "shrinkpy/analyzer/instructions.hpp"

namespace shrinkpy::analyzer {
namespace {

// Process-wide state changed by calling (or, for the sys lists, mutating) these.
constexpr std::array<std::string_view, 83> kProcessApis = {
    "atexit.register",
    "signal.signal",
    "signal.setitimer",
    "signal.alarm",
    "signal.siginterrupt",
    "signal.set_wakeup_fd",
    "codecs.register",
    "codecs.register_error",
    "copyreg.pickle",
    "faulthandler.enable",
    "faulthandler.register",
    "faulthandler.dump_traceback_later",
    "warnings.filterwarnings",
    "warnings.simplefilter",
    "warnings.resetwarnings",
    "logging.basicConfig",
    "logging.config.dictConfig",
    "logging.config.fileConfig",
    "logging.setLoggerClass",
    "logging.captureWarnings",
    "logging.disable",
    "locale.setlocale",
    "socket.setdefaulttimeout",
    "sys.setrecursionlimit",
    "sys.setswitchinterval",
    "sys.settrace",
    "sys.setprofile",
    "sys.addaudithook",
    "sys.set_asyncgen_hooks",
    "sys.path.append",
    "sys.path.insert",
    "sys.path.extend",
    "sys.path.remove",
    "sys.meta_path.append",
    "sys.meta_path.insert",
    "sys.path_hooks.append",
    "sys.path_hooks.insert",
    "sys.stdout.reconfigure",
    "sys.stderr.reconfigure",
    "threading.settrace",
    "threading.setprofile",
    "asyncio.set_event_loop_policy",
    "asyncio.set_event_loop",
    "multiprocessing.set_start_method",
    "mimetypes.add_type",
    "mimetypes.init",
    "os.chdir",
    "os.umask",
    "os.putenv",
    "os.unsetenv",
    "os.register_at_fork",
    "os.environ.update",
    "os.environ.setdefault",
    "os.environ.pop",
    "os.environ.clear",
    "importlib.import_module",
    "gc.disable",
    "gc.set_threshold",
    "gc.freeze",
    "readline.parse_and_bind",
    "readline.set_completer",
    "random.seed",
    "resource.setrlimit",
    "tracemalloc.start",
    "sqlite3.register_adapter",
    "sqlite3.register_converter",
    // Output and processes: deferred, they would happen later, in another order.
    "warnings.warn",
    "sys.stdout.write",
    "sys.stderr.write",
    "logging.debug",
    "logging.info",
    "logging.warning",
    "logging.error",
    "logging.critical",
    "logging.exception",
    "logging.log",
    "os.system",
    "subprocess.run",
    "subprocess.call",
    "subprocess.check_call",
    "subprocess.check_output",
    "subprocess.Popen",
    "sys.exit",
};

// Builtins with effects when module-level code calls them: output, input, files opened relative
// to a working directory that may have changed by the time a deferred import runs, dynamic code.
constexpr std::array<std::string_view, 11> kEffectBuiltins = {
    "print", "input", "open", "exec", "eval", "breakpoint", "exit", "quit", "__import__", "setattr", "delattr"};

// Method names that register something with an object another module owns, log, or start a thread.
constexpr std::array<std::string_view, 6> kRegistrationPrefixes = {"register", "connect", "subscribe",
                                                                   "listen",   "install", "add_hook"};
constexpr std::array<std::string_view, 13> kRegistrationNames = {
    "add_handler", "addHandler", "addFilter", "setup",     "patch_all", "debug", "info",
    "warning",     "error",      "critical",  "exception", "log",       "start"};

bool is_registration(std::string_view name) {
    for (std::string_view prefix : kRegistrationPrefixes) {
        if (name.substr(0, prefix.size()) == prefix) return true;
    }
    return std::find(kRegistrationNames.begin(), kRegistrationNames.end(), name) != kRegistrationNames.end();
}

bool is_process_api(std::string_view dotted) {
    return std::find(kProcessApis.begin(), kProcessApis.end(), dotted) != kProcessApis.end();
}

// Instruction ranges [jump + 1, target) skipped when the module is imported rather than run:
// `if __name__ == "__main__":` (LOAD_NAME __name__; LOAD_CONST '__main__'; COMPARE_OP ==;
// POP_JUMP_FORWARD_IF_FALSE).
std::vector<std::pair<std::size_t, std::size_t>> main_guards(const CodeObject& code, const InstrList& list) {
    std::vector<std::pair<std::size_t, std::size_t>> out;
    const auto& in = list.instrs;
    const std::vector<std::uint32_t> at = list.label_positions();
    for (std::size_t i = 0; i + 3 < in.size(); ++i) {
        const bool name =
            in[i].opcode == op::LOAD_NAME && in[i].arg < code.names.size() && code.names[in[i].arg] == "__name__";
        const bool main = in[i + 1].opcode == op::LOAD_CONST && in[i + 1].arg < code.consts.size() &&
                          code.consts[in[i + 1].arg].kind == Constant::Kind::string &&
                          code.consts[in[i + 1].arg].text == "__main__";
        const bool equal = in[i + 2].opcode == op::COMPARE_OP && in[i + 2].arg == 2;
        const bool jump = in[i + 3].opcode == op::POP_JUMP_FORWARD_IF_FALSE && in[i + 3].target < at.size();
        if (name && main && equal && jump) out.emplace_back(i + 4, at[in[i + 3].target]);
    }
    return out;
}

class EffectScan {
public:
    EffectScan(const std::map<std::string, std::string>& imported, std::vector<std::string>& out)
        : imported_(imported), out_(out) {}

    void scan(const CodeObject& code, bool module_level) {
        auto decoded = decode_instructions(code);
        if (!decoded) {
            out_.push_back("line " + std::to_string(code.firstlineno) + ": code that could not be decoded");
            return;
        }
        const auto& in = decoded->instrs;
        const auto guards = module_level ? main_guards(code, *decoded) : decltype(main_guards(code, *decoded)){};
        const auto name_at = [&](std::uint32_t i) { return i < code.names.size() ? code.names[i] : std::string(); };
        std::vector<bool> in_chain(in.size(), false);  // attribute loads already judged with their imported root
        for (std::size_t i = 0; i < in.size(); ++i) {
            const bool guarded =
                std::any_of(guards.begin(), guards.end(), [&](const auto& g) { return i >= g.first && i < g.second; });
            if (guarded) continue;
            const std::string line = "line " + std::to_string(in[i].position.line) + ": ";
            if ((in[i].opcode == op::LOAD_ATTR || in[i].opcode == op::LOAD_METHOD) && !in_chain[i] &&
                is_registration(name_at(in[i].arg)))
                add(line + "calls ." + name_at(in[i].arg) + "()");
            if (in[i].opcode != op::LOAD_NAME && in[i].opcode != op::LOAD_GLOBAL) continue;
            const std::string loaded = name_at(in[i].opcode == op::LOAD_GLOBAL ? in[i].arg >> 1 : in[i].arg);
            // A direct call at module level is PUSH_NULL; LOAD_NAME f (compiler_call in 3.11).
            const bool called = i > 0 && in[i - 1].opcode == op::PUSH_NULL;
            if (called && std::find(kEffectBuiltins.begin(), kEffectBuiltins.end(), loaded) != kEffectBuiltins.end() &&
                !imported_.count(loaded)) {
                add(line + "calls " + loaded + "()");
                continue;
            }
            const auto root = imported_.find(loaded);
            if (root == imported_.end()) continue;
            std::string dotted = root->second;
            std::size_t j = i + 1;
            for (; j < in.size() && (in[j].opcode == op::LOAD_ATTR || in[j].opcode == op::LOAD_METHOD); ++j) {
                if (is_process_api(dotted)) break;
                dotted += "." + name_at(in[j].arg);
                in_chain[j] = true;
            }
            const std::string last = dotted.substr(dotted.rfind('.') + 1);
            if (is_process_api(dotted)) {
                add(line + "calls " + dotted + "()");
            } else if (is_registration(last)) {
                add(line + "calls " + dotted + "()");
            } else if (j < in.size() && (in[j].opcode == op::STORE_ATTR || in[j].opcode == op::DELETE_ATTR)) {
                add(line + "sets " + dotted + "." + name_at(in[j].arg));
            } else if (j + 1 < in.size() &&
                       (in[j + 1].opcode == op::STORE_SUBSCR || in[j + 1].opcode == op::DELETE_SUBSCR)) {
                add(line + "sets an item of " + dotted);
            }
        }
        for (const Constant& c : code.consts) {
            // Class bodies run at import (no CO_NEWLOCALS); functions only when called.
            if (c.kind == Constant::Kind::code && c.code && (c.code->flags & 0x0002) == 0) scan(*c.code, false);
        }
    }

private:
    void add(std::string what) {
        if (std::find(out_.begin(), out_.end(), what) == out_.end()) out_.push_back(std::move(what));
    }

    const std::map<std::string, std::string>& imported_;  // bound name -> what it is ("os.path", "x.y")
    std::vector<std::string>& out_;
};

}  // namespace

std::vector<std::string> import_effects(const CodeObject& module) {
    std::vector<std::string> out;
    std::map<std::string, std::string> imported;
    if (auto facts = analyze_imports(module)) {
        for (const ImportFact& f : facts->imports) {
            if (f.scope != ImportScope::module || f.bound.empty()) continue;
            const std::string base = std::string(static_cast<std::size_t>(f.level), '.') + f.module;
            const bool binds_top = f.module.substr(0, f.module.find('.')) == f.bound && f.level == 0;
            if (!f.imported.empty()) {
                imported[f.bound] = base + "." + f.imported;
            } else {
                imported[f.bound] = binds_top ? f.bound : base;  // `import a.b` binds a; `import a.b as c`, c
            }
        }
    }
    EffectScan(imported, out).scan(module, true);
    return out;
}

}  // namespace shrinkpy::analyzer
