list(APPEND PODTAP_CORE_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/defaults.h
    ${CMAKE_CURRENT_LIST_DIR}/duration_format.h
    ${CMAKE_CURRENT_LIST_DIR}/duration_format.cpp
    ${CMAKE_CURRENT_LIST_DIR}/host_command.h
    ${CMAKE_CURRENT_LIST_DIR}/host_command.cpp
    ${CMAKE_CURRENT_LIST_DIR}/names.h
    ${CMAKE_CURRENT_LIST_DIR}/names.cpp
    ${CMAKE_CURRENT_LIST_DIR}/text_escape.h
    ${CMAKE_CURRENT_LIST_DIR}/text_escape.cpp
)
