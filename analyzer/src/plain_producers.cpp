// ====================================================================================================
// The tables behind plain_producers.hpp. Adding a name here lets the safe policy free what it
// returns: only add callables whose result can never own a file, socket, lock, mapping, native
// buffer or finalizer, whatever they are given (or, for plain_if_inputs, when given plain data).
// ====================================================================================================
#include "plain_producers.hpp"

#include <algorithm>
#include <array>

namespace shrinkpy::analyzer::detail {
namespace {

using namespace std::literals;

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& table, std::string_view name) {
    return std::find(table.begin(), table.end(), name) != table.end();
}

// Builtins whose result is plain data whatever they are given (a str, an int, a bool, bytes).
constexpr std::array kPlainBuiltins = {
    "abs"sv,      "all"sv,  "any"sv,        "ascii"sv,      "bin"sv,    "bool"sv,    "bytearray"sv, "bytes"sv,
    "callable"sv, "chr"sv,  "complex"sv,    "float"sv,      "format"sv, "hasattr"sv, "hash"sv,      "hex"sv,
    "input"sv,    "int"sv,  "isinstance"sv, "issubclass"sv, "len"sv,    "oct"sv,     "ord"sv,       "print"sv,
    "range"sv,    "repr"sv, "round"sv,      "str"sv,        "id"sv,
};
// Builtins whose result holds (or is) what they were given.
constexpr std::array kContainerBuiltins = {
    "dict"sv, "divmod"sv, "enumerate"sv,  "filter"sv, "frozenset"sv, "iter"sv, "list"sv,
    "map"sv,  "max"sv,    "memoryview"sv, "min"sv,    "next"sv,      "pow"sv,  "reversed"sv,
    "set"sv,  "slice"sv,  "sorted"sv,     "sum"sv,    "tuple"sv,     "zip"sv,
};
constexpr std::array kPlainTypes = {
    "builtins.list"sv,           "builtins.dict"sv,      "builtins.set"sv,       "builtins.int"sv,
    "builtins.float"sv,          "builtins.str"sv,       "builtins.bytes"sv,     "builtins.tuple"sv,
    "builtins.bool"sv,           "builtins.frozenset"sv, "builtins.bytearray"sv, "collections.Counter"sv,
    "collections.OrderedDict"sv, "collections.deque"sv};

// Whole modules of pure functions over data (results are strs, numbers, bytes, match objects).
constexpr std::array kPlainModules = {"json."sv,     "re."sv,          "math."sv,    "cmath."sv,   "struct."sv,
                                      "zlib."sv,     "binascii."sv,    "base64."sv,  "hashlib."sv, "string."sv,
                                      "textwrap."sv, "unicodedata."sv, "difflib."sv, "html."sv,    "shlex."sv,
                                      "bisect."sv,   "os.path."sv,     "fnmatch."sv, "keyword."sv, "colorsys."sv};
// Modules whose functions return (containers of) what they are given.
constexpr std::array kContainerModules = {
    "statistics."sv, "heapq."sv,    "itertools."sv, "random."sv,          "copy."sv,
    "datetime."sv,   "operator."sv, "numpy."sv,     "functools.reduce"sv, "csv."sv};
// Exact names, decided before the module rules above.
struct Entry {
    std::string_view name;
    CallFacts facts;
};
constexpr CallFacts kPlain{Produces::plain};
constexpr CallFacts kIfInputs{Produces::plain_if_inputs};
constexpr CallFacts kUnknown{Produces::unknown};
constexpr CallFacts kMutates{Produces::plain, false, true};
constexpr std::array kExact = {
    Entry{"builtins.id", CallFacts{Produces::plain, true}},
    Entry{"ctypes.addressof", CallFacts{Produces::plain, true}},
    // A reference count is a fact about its argument at the moment of the call (test_sys does
    // getrefcount(x) before and after): x must not be released before it.
    Entry{"sys.getrefcount", CallFacts{Produces::plain, true}},
    Entry{"array.array", kPlain},
    Entry{"decimal.Decimal", kPlain},
    Entry{"fractions.Fraction", kPlain},
    Entry{"random.Random", kPlain},
    Entry{"time.time", kPlain},
    Entry{"time.monotonic", kPlain},
    Entry{"time.perf_counter", kPlain},
    Entry{"os.getcwd", kPlain},
    Entry{"os.listdir", kPlain},
    Entry{"os.getpid", kPlain},
    Entry{"io.StringIO", kIfInputs},
    Entry{"io.BytesIO", kIfInputs},
    Entry{"collections.Counter", kIfInputs},
    Entry{"collections.OrderedDict", kIfInputs},
    Entry{"collections.deque", kIfInputs},
    Entry{"collections.ChainMap", kIfInputs},
    Entry{"collections.defaultdict", CallFacts{Produces::plain_if_inputs, false, false, true}},
    Entry{"heapq.heappush", kMutates},
    Entry{"heapq.heappushpop", CallFacts{Produces::plain_if_inputs, false, true}},
    Entry{"heapq.heapreplace", CallFacts{Produces::plain_if_inputs, false, true}},
    Entry{"bisect.insort", kMutates},
    Entry{"bisect.insort_left", kMutates},
    Entry{"bisect.insort_right", kMutates},
    Entry{"random.shuffle", kPlain},
    Entry{"json.JSONDecoder", kUnknown},  // object_hook and friends run user code
    Entry{"json.JSONEncoder", kUnknown},
    // numpy: memory maps, files and raw pointers own or alias something that is not an array.
    Entry{"numpy.memmap", kUnknown},
    Entry{"numpy.load", kUnknown},  // an NpzFile keeps its zip file open; mmap_mode maps the file
    Entry{"numpy.lib.format.open_memmap", kUnknown},
    Entry{"numpy.DataSource", kUnknown},
    Entry{"numpy.fromfile", kPlain},
    // Array factories: the result is a fresh array of numbers whatever shape or seed they are given.
    Entry{"numpy.zeros", kPlain},
    Entry{"numpy.ones", kPlain},
    Entry{"numpy.empty", kPlain},
    Entry{"numpy.arange", kPlain},
    Entry{"numpy.linspace", kPlain},
    Entry{"numpy.eye", kPlain},
    Entry{"numpy.identity", kPlain},
    Entry{"numpy.hanning", kPlain},
    Entry{"numpy.hamming", kPlain},
    Entry{"numpy.random.default_rng", kPlain},
    Entry{"numpy.put", kMutates},
    Entry{"numpy.putmask", kMutates},
    Entry{"numpy.place", kMutates},
    Entry{"numpy.copyto", kMutates},
    Entry{"operator.attrgetter", kUnknown},
    Entry{"operator.methodcaller", kUnknown},
};
constexpr std::array kUnknownPrefixes = {"numpy.ctypeslib."sv, "numpy.lib.npyio."sv};

// str/bytes methods: their result is a str, bytes, bool, int or a list/tuple of strs whatever the
// arguments are. By convention the same names on other objects return data too.
constexpr std::array kDataMethods = {
    "capitalize"sv,
    "casefold"sv,
    "center"sv,
    "count"sv,
    "decode"sv,
    "encode"sv,
    "endswith"sv,
    "expandtabs"sv,
    "find"sv,
    "format"sv,
    "format_map"sv,
    "isalnum"sv,
    "isalpha"sv,
    "isascii"sv,
    "isdecimal"sv,
    "isdigit"sv,
    "isidentifier"sv,
    "islower"sv,
    "isnumeric"sv,
    "isprintable"sv,
    "isspace"sv,
    "istitle"sv,
    "isupper"sv,
    "join"sv,
    "ljust"sv,
    "lower"sv,
    "lstrip"sv,
    "partition"sv,
    "removeprefix"sv,
    "removesuffix"sv,
    "replace"sv,
    "rfind"sv,
    "rindex"sv,
    "rjust"sv,
    "rpartition"sv,
    "rsplit"sv,
    "rstrip"sv,
    "split"sv,
    "splitlines"sv,
    "startswith"sv,
    "strip"sv,
    "swapcase"sv,
    "title"sv,
    "translate"sv,
    "upper"sv,
    "zfill"sv,
    "hex"sv,
    // Readers and results: files, sockets, buffers, cursors, hashes, arrays, match objects.
    "read"sv,
    "read1"sv,
    "readall"sv,
    "readline"sv,
    "readlines"sv,
    "read_text"sv,
    "read_bytes"sv,
    "getvalue"sv,
    "recv"sv,
    "fetchone"sv,
    "fetchall"sv,
    "fetchmany"sv,
    "hexdigest"sv,
    "digest"sv,
    "tolist"sv,
    "tobytes"sv,
    "group"sv,
    "groups"sv,
    "groupdict"sv,
    "span"sv,
};
// Methods of plain receivers (arrays, random generators, numbers) that return fresh numbers or
// arrays of numbers whatever their arguments are (sizes, axes, shapes, bounds).
constexpr std::array kNumericMethods = {
    "normal"sv,
    "uniform"sv,
    "integers"sv,
    "random"sv,
    "standard_normal"sv,
    "exponential"sv,
    "poisson"sv,
    "binomial"sv,
    "gauss"sv,
    "randint"sv,
    "randrange"sv,
    "sum"sv,
    "mean"sv,
    "std"sv,
    "var"sv,
    "min"sv,
    "max"sv,
    "argmax"sv,
    "argmin"sv,
    "argsort"sv,
    "astype"sv,
    "reshape"sv,
    "ravel"sv,
    "flatten"sv,
    "round"sv,
    "cumsum"sv,
    "cumprod"sv,
    "prod"sv,
    "any"sv,
    "all"sv,
    "nonzero"sv,
    "transpose"sv,
    "squeeze"sv,
    "conj"sv,
    "bit_length"sv,
    "is_integer"sv,
    "as_integer_ratio"sv,
};
// Methods of builtin containers, deques, counters, queues and arrays that store what they are given.
constexpr std::array kStoringMethods = {"append"sv,     "appendleft"sv, "extend"sv,     "extendleft"sv,  "insert"sv,
                                        "add"sv,        "update"sv,     "setdefault"sv, "__setitem__"sv, "put"sv,
                                        "put_nowait"sv, "fill"sv,       "itemset"sv,    "setfield"sv,    "push"sv,
                                        "__iadd__"sv,   "__ior__"sv};
// Methods whose result is an address or a descriptor of their receiver.
constexpr std::array kHandleMethods = {"fileno"sv, "buffer_info"sv, "data_ptr"sv};
constexpr std::array kHandleAttributes = {"ctypes"sv, "__array_interface__"sv, "__array_struct__"sv};

bool has_prefix(std::string_view name, std::string_view prefix) { return name.substr(0, prefix.size()) == prefix; }

}  // namespace

CallFacts call_facts(std::string_view qualified) {
    for (const Entry& e : kExact) {
        if (e.name == qualified) return e.facts;
    }
    for (std::string_view prefix : kUnknownPrefixes) {
        if (has_prefix(qualified, prefix)) return kUnknown;
    }
    if (has_prefix(qualified, "builtins.")) {
        const std::string_view name = qualified.substr(9);
        if (contains(kPlainBuiltins, name)) return kPlain;
        if (contains(kContainerBuiltins, name)) return kIfInputs;
        return kUnknown;
    }
    for (std::string_view prefix : kPlainModules) {
        if (has_prefix(qualified, prefix)) return kPlain;
    }
    for (std::string_view prefix : kContainerModules) {
        if (has_prefix(qualified, prefix)) return kIfInputs;
    }
    return kUnknown;
}

CallFacts method_facts(std::string_view name, bool receiver_plain) {
    if (contains(kHandleMethods, name)) return CallFacts{Produces::plain, true};
    if (contains(kDataMethods, name)) return kPlain;
    if (receiver_plain && contains(kNumericMethods, name)) return kPlain;
    // A plain receiver is a builtin container, a number, an ndarray...: its methods return its
    // elements, new containers of them, or numbers.
    return receiver_plain ? kIfInputs : kUnknown;
}

bool is_handle_attribute(std::string_view name) { return contains(kHandleAttributes, name); }

bool stores_arguments(std::string_view method) { return contains(kStoringMethods, method); }

bool is_plain_type_name(std::string_view qualified) { return contains(kPlainTypes, qualified); }

}  // namespace shrinkpy::analyzer::detail
