# cpack-fixperms.cmake: run by CPack (CPACK_PRE_BUILD_SCRIPTS in
# packaging/CMakeLists.txt) on the staged tree, before it becomes the
# .deb. Does two things debhelper would have done:
# - ELF files, already stripped by CPACK_STRIP_FILES, also lose their
#   .comment and .note sections (the compiler's version strings), as
#   dh_strip removes them (lintian: binary-has-unneeded-section);
# - every entry gets the mode Debian policy (10.9) wants whatever the
#   umask of the build, as dh_fixperms does: directories and executables
#   0755, every other file 0644. That includes /etc/livelog/livelog.conf,
#   which `make install` leaves 0640: lintian refuses a 0640 file in a
#   package (non-standard-file-perm), so the package ships it 0644 (every
#   key commented out, no secret), and postinst makes it 0640
#   root:livelog, and /etc/livelog 0750, at configure.
set(stage "${CPACK_TEMPORARY_INSTALL_DIRECTORY}")
if(NOT IS_DIRECTORY "${stage}")
  message(FATAL_ERROR "cpack-fixperms: no staging directory '${stage}'")
endif()
if(NOT CPACK_LIVELOG_STRIP)
  message(FATAL_ERROR "cpack-fixperms: no strip program (binutils) was found")
endif()
file(GLOB_RECURSE entries LIST_DIRECTORIES true "${stage}/*")
foreach(e ${entries})
  if(IS_SYMLINK "${e}")
    continue()
  elseif(IS_DIRECTORY "${e}")
    set(exec TRUE)
  else()
    # executable: what install(TARGETS) and scripts install 0755
    execute_process(COMMAND test -x "${e}" RESULT_VARIABLE rc)
    if(rc EQUAL 0)
      set(exec TRUE)
    else()
      set(exec FALSE)
    endif()
  endif()
  if(exec AND NOT IS_DIRECTORY "${e}")
    file(READ "${e}" magic LIMIT 4 HEX)
    if(magic STREQUAL "7f454c46")
      execute_process(COMMAND "${CPACK_LIVELOG_STRIP}" --remove-section=.comment
        --remove-section=.note "${e}" RESULT_VARIABLE rc)
      if(NOT rc EQUAL 0)
        message(FATAL_ERROR "cpack-fixperms: ${CPACK_LIVELOG_STRIP} ${e}: ${rc}")
      endif()
    endif()
  endif()
  if(exec)
    file(CHMOD "${e}" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
      GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  else()
    file(CHMOD "${e}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  endif()
endforeach()
