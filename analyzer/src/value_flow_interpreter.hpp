// The value-flow interpreter's state and steps, shared by value_flow.cpp (the fixed point, facts)
// and value_flow_transfer.cpp (what each opcode does to the abstract stack). Internal.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "value_flow.hpp"

namespace shrinkpy::analyzer::detail {

using Stack = std::vector<Value>;

inline Value unknown() { return Value{}; }
inline Value plain_value() {
    Value v;
    v.plain = true;
    return v;
}

class Interpreter {
public:
    Interpreter(const CodeObject& code, const Cfg& cfg, const SlotUniverse& vars,
                const std::vector<std::uint8_t>& args_plain, const Environment& env,
                const std::vector<std::uint32_t>& args_ref)
        : code_(code), cfg_(cfg), vars_(vars), args_plain_(args_plain), args_ref_(args_ref), env_(env) {}

    FlowFacts run();

private:
    // Per variable, flow-insensitive (see value_flow.hpp).
    struct VarFacts {
        std::vector<std::uint8_t> plain;
        std::vector<std::uint32_t> ref;
        std::vector<const CodeObject*> code;
        std::vector<std::int32_t> handle_of;
        bool operator==(const VarFacts&) const = default;
    };
    static constexpr std::uint32_t kUnset = 0xFFFFFFFEu;

    bool simulate_to_fixpoint();
    void transfer(std::uint32_t index, Stack& stack, bool jump);
    void call(std::uint32_t nargs, Stack& stack);
    FlowFacts::CallSite call_site(const CodeObject* callee, const std::vector<Value>& args, std::uint32_t keywords,
                                  std::int32_t keyword_names) const;
    Value load_var(std::int32_t slot, std::uint32_t index) const;
    Value load_global(const std::string& name) const;
    Value load_cell(std::uint32_t localsplus) const;
    void consume(const Value& v);  // a value used by an operation we do not follow
    void taint(const Origin& o, const char* why);
    void store_var(std::int32_t slot, const Value& v);
    std::vector<std::uint8_t> update_facts();
    std::uint32_t intern(const std::string& s) const { return env_.names->intern(s); }
    const std::string& name_at(std::uint32_t i) const {
        static const std::string empty;
        return i < code_.names.size() ? code_.names[i] : empty;
    }

    const CodeObject& code_;
    const Cfg& cfg_;
    const SlotUniverse& vars_;
    const std::vector<std::uint8_t>& args_plain_;
    const std::vector<std::uint32_t>& args_ref_;
    const Environment& env_;

    VarFacts facts_;
    std::vector<std::optional<Stack>> entry_;
    bool collect_ = false;
    bool broken_ = false;
    std::uint32_t pending_kw_ = 0;        // keyword arguments named by the last KW_NAMES
    std::int32_t pending_kw_names_ = -1;  // ... and the co_consts index of their names
    FlowFacts out_;
    // Collected in the last pass, turned into facts by update_facts().
    std::vector<std::uint8_t> store_plain_, tainted_;
    std::vector<std::uint32_t> store_ref_;
    std::vector<const CodeObject*> store_code_;
    std::vector<std::int32_t> store_handle_;
    std::vector<std::int32_t> alias_;
    std::vector<std::uint8_t> store_seen_;  // module code: names its own code stores
};

}  // namespace shrinkpy::analyzer::detail
