list(APPEND PODTAP_CORE_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/pod_filter.h
    ${CMAKE_CURRENT_LIST_DIR}/pod_filter.cpp
)
