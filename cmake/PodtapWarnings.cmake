# SPDX-License-Identifier: Apache-2.0
# Project-wide warnings. They become errors when the CI environment variable is set, so a
# warning never lands but a local experiment is never blocked by one.
add_library(podtap_warnings INTERFACE)
target_compile_options(podtap_warnings INTERFACE -Wall -Wextra -Wpedantic)
if(DEFINED ENV{CI} AND NOT "$ENV{CI}" STREQUAL "" AND NOT "$ENV{CI}" STREQUAL "false")
    message(STATUS "podtap: CI is set, warnings are errors")
    target_compile_options(podtap_warnings INTERFACE -Werror)
endif()
