list(APPEND PODTAP_CORE_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/tap_request.h
    ${CMAKE_CURRENT_LIST_DIR}/tap_request.cpp
)
