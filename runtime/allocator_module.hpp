// The built-in module _shrinkpy_alloc (allocator_module.cpp).
#pragma once

namespace shrinkpy::runtime {

// Adds _shrinkpy_alloc to the built-in modules; before Py_InitializeFromConfig.
void register_allocator_module();

}  // namespace shrinkpy::runtime
