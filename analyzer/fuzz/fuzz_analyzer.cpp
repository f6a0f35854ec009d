// ====================================================================================================
// libFuzzer entry point (clang only; see analyzer/CMakeLists.txt for the target and the command).
// ====================================================================================================
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_one.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    shrinkpy::analyzer::fuzz::run_bytes(std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
