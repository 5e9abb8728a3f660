# SPDX-License-Identifier: Apache-2.0
# podtap_add_tests(LABEL <label> [GUI] [TIMEOUT s] [LIBS ...] [EXTRA_SOURCES ...] TESTS tst_a.cpp tst_b.cpp ...)
#
# One QtTest class per file: every file becomes its own executable and CTest test, named after
# the file. LABEL is one of unit, privileged, e2e, gui, bench, fuzz; `privileged` tests may add
# a second label (e.g. e2e). GUI tests run with the offscreen platform.
function(podtap_add_tests)
    cmake_parse_arguments(arg "GUI" "TIMEOUT" "LABEL;LIBS;EXTRA_SOURCES;TESTS;ENVIRONMENT" ${ARGN})
    if(NOT arg_TIMEOUT)
        set(arg_TIMEOUT 300)
    endif()
    foreach(source IN LISTS arg_TESTS)
        get_filename_component(name "${source}" NAME_WE)
        add_executable(${name} ${source} ${arg_EXTRA_SOURCES})
        target_link_libraries(${name} PRIVATE Qt6::Test podtap_test_support podtap_warnings ${arg_LIBS})
        add_test(NAME ${name} COMMAND ${name})
        set(env "PODTAP_BUILD_DIR=${CMAKE_BINARY_DIR}" "PODTAP_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
                "QT_QPA_PLATFORM=offscreen" ${arg_ENVIRONMENT})
        set_tests_properties(${name} PROPERTIES
            LABELS "${arg_LABEL}"
            TIMEOUT ${arg_TIMEOUT}
            ENVIRONMENT "${env}")
        if("privileged" IN_LIST arg_LABEL)
            # Privileged tests change kernel state (netns, tc); never run two at once.
            set_tests_properties(${name} PROPERTIES RESOURCE_LOCK kernel_net)
        endif()
    endforeach()
endfunction()
