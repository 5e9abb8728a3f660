list(APPEND PODTAP_CORE_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/text_escape.h
    ${CMAKE_CURRENT_LIST_DIR}/text_escape.cpp
)
