#include "allocator_control.hpp"

#include <cstdlib>
#include <vector>

#include "allocator_options.hpp"
#include "options.hpp"
#include "report.hpp"
#include "shrinkpy/alloc/pymem_glue.hpp"

namespace shrinkpy::runtime {

InstallOutcome install_allocator_named(const std::optional<std::string>& name) {
    std::vector<std::string> warnings;
    std::optional<std::string> error;
    Options options = Options::read([](const char* var) { return std::getenv(var); }, warnings, error);
    if (error) return {InstallOutcome::Error::bad_value, *error, ""};
    std::string chosen = name.value_or(options.text(OptionId::allocator));
    if (chosen != "arena" && chosen != "mimalloc") {
        return {InstallOutcome::Error::bad_value,
                "install_allocator: '" + chosen +
                    "' cannot replace the allocator of a running interpreter; choose 'arena' or 'mimalloc', or start "
                    "the program with shrinkpython",
                ""};
    }
    const alloc::AllocatorApi& api = alloc::allocator_api();
    if (const char* installed = api.installed_name()) {
        if (chosen == installed) return {InstallOutcome::Error::none, "", chosen};
        return {InstallOutcome::Error::failed,
                std::string("install_allocator: shrinkpy's allocator is already installed: ") + installed, ""};
    }
    alloc::InstallResult r = api.install(allocator_kind(chosen), false, false, arena_config(options));
    if (r.error != alloc::InstallError::none)
        return {InstallOutcome::Error::failed, std::string("install_allocator: ") + r.message, ""};
    return {InstallOutcome::Error::none, "", chosen};
}

const char* installed_allocator() { return alloc::allocator_api().installed_name(); }

std::string allocator_stats_json() {
    const alloc::AllocatorApi& api = alloc::allocator_api();
    std::optional<alloc::StatsSnapshot> counted;
    if (api.installed_name() != nullptr && api.counted()) counted = api.snapshot();
    alloc::ArenaStats arena;
    bool has_arena = api.arena_stats(&arena);
    return format_allocator_stats_json(api.installed_name(), counted ? &*counted : nullptr,
                                       has_arena ? &arena : nullptr);
}

}  // namespace shrinkpy::runtime
