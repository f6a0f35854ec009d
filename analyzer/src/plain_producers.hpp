// ====================================================================================================
// What the plain-data analysis (provenance.hpp) knows about callables it can name: builtins,
// functions and classes of the standard library and numpy, and methods by name. Internal header.
//
//   plain            the result is plain data whatever the arguments (len, json.loads, str.split)
//   plain_if_inputs  plain when every argument, and the receiver of a method, is plain: containers
//                    built from their arguments (list, sorted, dict.get), numpy, statistics
//   unknown          anything else, above all what may own a resource: open, socket.socket,
//                    tempfile.TemporaryDirectory, SharedMemory, mmap, ctypes, subprocess.Popen
//
// A handle is a plain value that stands for its source's memory or descriptor without keeping the
// source alive: an address (id(), ctypes.addressof(), array.buffer_info(), ndarray.ctypes), a file
// descriptor (fileno()). The source must outlive the handle (the derived-value rule).
// ====================================================================================================
#pragma once

#include <cstdint>
#include <string_view>

namespace shrinkpy::analyzer::detail {

enum class Produces : std::uint8_t { unknown, plain, plain_if_inputs };

struct CallFacts {
    Produces produces = Produces::unknown;
    bool handle = false;             // the result is a handle of the first argument (id, addressof)
    bool mutates_first_arg = false;  // the other arguments end up inside the first (heapq.heappush)
    bool plain_factory = false;      // defaultdict(f): plain only when f is a plain type (list, int, ...)
};

// A callable by its qualified name: "builtins.len", "json.loads", "numpy.random.default_rng".
CallFacts call_facts(std::string_view qualified);

// A method called on a receiver that is plain data (a str, a list, an ndarray) or not known to be.
CallFacts method_facts(std::string_view name, bool receiver_plain);

// Methods that keep their arguments inside their receiver (list.append, dict.update, ndarray.fill):
// the container-taint rule charges non-plain arguments of only these to the receiver.
bool stores_arguments(std::string_view method);

// Attribute loads that are handles of their object (ndarray.ctypes, __array_interface__).
bool is_handle_attribute(std::string_view name);

// Builtin types that are plain-data factories for defaultdict.
bool is_plain_type_name(std::string_view qualified);

}  // namespace shrinkpy::analyzer::detail
