// ====================================================================================================
// Errors are values. Every failure of the analyzer is an Error (where, offset, opcode, reason) held
// in a Result<T>; nothing on a path that decoding or fuzzing reaches throws. The pybind11 boundary
// turns an Error into the one Python exception type shrinkpy._analyzer.AnalyzerError.
// ====================================================================================================
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace shrinkpy::analyzer {

// Which input an Error's offset counts in.
enum class Section : std::uint8_t {
    code,            // co_code, offset in bytes (as dis prints it)
    exceptiontable,  // co_exceptiontable, offset in bytes
    linetable,       // co_linetable, offset in bytes
    header,          // .pyc header or the magic number, offset in bytes
    metadata,        // counts, names, constants of the code object; offset is -1
    serialized,      // the corpus/fuzz serialization format, offset in bytes
};

const char* section_name(Section section);

struct Error {
    Section section = Section::code;
    std::int64_t offset = -1;  // bytes into `section`; -1 when there is no position
    int opcode = -1;           // the opcode at `offset` when there is one, else -1
    std::string reason;        // one sentence, no trailing period

    std::string describe() const;  // "co_code offset 12 (LOAD_FAST): reason"
};

inline Error make_error(Section section, std::int64_t offset, int opcode, std::string reason) {
    return Error{section, offset, opcode, std::move(reason)};
}

// A value or an Error. Small on purpose: C++20 has no std::expected.
template <typename T>
class Result {
public:
    Result(T value) : data_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
    Result(Error error) : data_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

    bool ok() const { return data_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(data_); }
    const T& value() const& { return std::get<0>(data_); }
    T&& value() && { return std::get<0>(std::move(data_)); }
    T* operator->() { return &std::get<0>(data_); }
    const T* operator->() const { return &std::get<0>(data_); }
    T& operator*() & { return std::get<0>(data_); }
    const T& operator*() const& { return std::get<0>(data_); }
    const Error& error() const { return std::get<1>(data_); }

private:
    std::variant<T, Error> data_;
};

// Result<void>
struct Ok {};
using Status = Result<Ok>;

}  // namespace shrinkpy::analyzer
