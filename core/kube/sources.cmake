list(APPEND PODTAP_CORE_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/rest_config.h
    ${CMAKE_CURRENT_LIST_DIR}/kubeconfig.h
    ${CMAKE_CURRENT_LIST_DIR}/kubeconfig.cpp
    ${CMAKE_CURRENT_LIST_DIR}/kubeconfig_document.h
    ${CMAKE_CURRENT_LIST_DIR}/kubeconfig_document.cpp
    ${CMAKE_CURRENT_LIST_DIR}/kubeconfig_printer.h
    ${CMAKE_CURRENT_LIST_DIR}/kubeconfig_printer.cpp
    ${CMAKE_CURRENT_LIST_DIR}/kubeconfig_yaml_scalar.h
    ${CMAKE_CURRENT_LIST_DIR}/kubeconfig_yaml_scalar.cpp
    ${CMAKE_CURRENT_LIST_DIR}/exec_credential.h
    ${CMAKE_CURRENT_LIST_DIR}/exec_credential.cpp
)
