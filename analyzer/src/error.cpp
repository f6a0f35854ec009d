// ====================================================================================================
// Error formatting.
// ====================================================================================================
#include "shrinkpy/analyzer/error.hpp"

#include "shrinkpy/analyzer/opcodes.hpp"

namespace shrinkpy::analyzer {

const char* section_name(Section section) {
    switch (section) {
        case Section::code: return "co_code";
        case Section::exceptiontable: return "co_exceptiontable";
        case Section::linetable: return "co_linetable";
        case Section::header: return "header";
        case Section::metadata: return "code object";
        case Section::serialized: return "serialized code object";
    }
    return "?";
}

std::string Error::describe() const {
    std::string text = section_name(section);
    if (offset >= 0) text += " offset " + std::to_string(offset);
    if (opcode >= 0) text += std::string(" (") + opcode_name(opcode) + ")";
    text += ": ";
    text += reason;
    return text;
}

}  // namespace shrinkpy::analyzer
