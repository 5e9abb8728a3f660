list(APPEND PODTAP_CORE_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/capture_filter_compiler.h
    ${CMAKE_CURRENT_LIST_DIR}/capture_filter_compiler.cpp
    ${CMAKE_CURRENT_LIST_DIR}/capture_tools.h
    ${CMAKE_CURRENT_LIST_DIR}/capture_tools.cpp
    ${CMAKE_CURRENT_LIST_DIR}/capture_options.h
    ${CMAKE_CURRENT_LIST_DIR}/capture_options.cpp
    ${CMAKE_CURRENT_LIST_DIR}/capture_launch.h
    ${CMAKE_CURRENT_LIST_DIR}/capture_launch.cpp
    ${CMAKE_CURRENT_LIST_DIR}/capture_command.h
    ${CMAKE_CURRENT_LIST_DIR}/capture_command.cpp
    ${CMAKE_CURRENT_LIST_DIR}/pod_hosts_file.h
    ${CMAKE_CURRENT_LIST_DIR}/pod_hosts_file.cpp
    ${CMAKE_CURRENT_LIST_DIR}/capture_process.h
    ${CMAKE_CURRENT_LIST_DIR}/capture_process.cpp
    ${CMAKE_CURRENT_LIST_DIR}/extcap_install.h
    ${CMAKE_CURRENT_LIST_DIR}/extcap_install.cpp
)
