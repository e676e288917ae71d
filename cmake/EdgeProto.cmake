# edge_add_proto_library(<target> ROOT <dir> PROTOS <file.proto>...)
# Generates C++ messages and gRPC stubs with protoc + grpc_cpp_plugin into the build tree and
# builds them as a static library whose include dir is the generated root.
include_guard(GLOBAL)

function(edge_add_proto_library name)
  cmake_parse_arguments(arg "" "ROOT" "PROTOS" ${ARGN})
  set(gen ${CMAKE_CURRENT_BINARY_DIR}/gen)
  file(MAKE_DIRECTORY ${gen})
  set(srcs)
  foreach(p ${arg_PROTOS})
    get_filename_component(abs ${p} ABSOLUTE)
    file(RELATIVE_PATH rel ${arg_ROOT} ${abs})
    string(REGEX REPLACE "\\.proto$" "" stem ${rel})
    set(out ${gen}/${stem}.pb.cc ${gen}/${stem}.pb.h ${gen}/${stem}.grpc.pb.cc ${gen}/${stem}.grpc.pb.h)
    add_custom_command(
      OUTPUT ${out}
      COMMAND protobuf::protoc --proto_path=${arg_ROOT} --cpp_out=${gen} --grpc_out=${gen}
              --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin> ${abs}
      DEPENDS ${abs} protobuf::protoc gRPC::grpc_cpp_plugin
      COMMENT "protoc ${rel}")
    list(APPEND srcs ${gen}/${stem}.pb.cc ${gen}/${stem}.grpc.pb.cc)
  endforeach()
  add_library(${name} STATIC ${srcs})
  target_include_directories(${name} PUBLIC ${gen})
  target_link_libraries(${name} PUBLIC protobuf::libprotobuf gRPC::grpc++)
endfunction()
