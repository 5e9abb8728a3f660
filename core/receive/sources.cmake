# SPDX-License-Identifier: Apache-2.0
list(APPEND PODTAP_CORE_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/pcapng_writer.h
    ${CMAKE_CURRENT_LIST_DIR}/pcapng_writer.cpp
    ${CMAKE_CURRENT_LIST_DIR}/pcapng_stream_reader.h
    ${CMAKE_CURRENT_LIST_DIR}/pcapng_stream_reader.cpp
    ${CMAKE_CURRENT_LIST_DIR}/vxlan_header.h
    ${CMAKE_CURRENT_LIST_DIR}/vxlan_header.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tunnel_demux.h
    ${CMAKE_CURRENT_LIST_DIR}/tunnel_demux.cpp
    ${CMAKE_CURRENT_LIST_DIR}/vxlan_receiver.h
    ${CMAKE_CURRENT_LIST_DIR}/vxlan_receiver.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tunnel_port_registry.h
    ${CMAKE_CURRENT_LIST_DIR}/tunnel_port_registry.cpp
    ${CMAKE_CURRENT_LIST_DIR}/local_capture.h
    ${CMAKE_CURRENT_LIST_DIR}/local_capture.cpp
)
