list(APPEND PODTAP_CORE_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/tap_request.h
    ${CMAKE_CURRENT_LIST_DIR}/tap_request.cpp
    ${CMAKE_CURRENT_LIST_DIR}/session_id.h
    ${CMAKE_CURRENT_LIST_DIR}/session_id.cpp
    ${CMAKE_CURRENT_LIST_DIR}/manifest_yaml.h
    ${CMAKE_CURRENT_LIST_DIR}/manifest_yaml.cpp
    ${CMAKE_CURRENT_LIST_DIR}/agent_pod_spec.h
    ${CMAKE_CURRENT_LIST_DIR}/agent_pod_spec.cpp
    ${CMAKE_CURRENT_LIST_DIR}/agent_namespace.h
    ${CMAKE_CURRENT_LIST_DIR}/agent_namespace.cpp
    ${CMAKE_CURRENT_LIST_DIR}/preflight_fix.h
    ${CMAKE_CURRENT_LIST_DIR}/preflight_fix.cpp
    ${CMAKE_CURRENT_LIST_DIR}/target_resolution.h
    ${CMAKE_CURRENT_LIST_DIR}/target_resolution.cpp
)
