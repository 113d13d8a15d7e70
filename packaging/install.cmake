# install.cmake: the install-time part of packaging/CMakeLists.txt. Writes
# the systemd units with ExecStart= at the installed binary and the
# default /etc/livelog/livelog.conf (every key commented out) for the
# prefix and DESTDIR of this install: units under PREFIX/lib/systemd/system;
# the configuration under /etc/livelog for the prefix /usr (a package),
# else under PREFIX/etc/livelog. An existing configuration is kept.
set(bin "${CMAKE_INSTALL_PREFIX}/${LIVELOG_PKG_BINDIR}/livelog")
set(unitdir "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(etc "$ENV{DESTDIR}/etc/livelog")
else()
  set(etc "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/etc/livelog")
endif()
foreach(unit livelog livelog-forward)
  file(READ "${LIVELOG_PKG_SRC}/systemd/${unit}.service.in" text)
  string(REPLACE "@LIVELOG_BIN@" "${bin}" text "${text}")
  message(STATUS "Installing: ${unitdir}/${unit}.service")
  file(MAKE_DIRECTORY "${unitdir}")
  file(WRITE "${unitdir}/${unit}.service" "${text}")
endforeach()
if(NOT EXISTS "${etc}/livelog.conf")
  message(STATUS "Installing: ${etc}/livelog.conf")
  file(MAKE_DIRECTORY "${etc}")
  file(COPY "${LIVELOG_PKG_GEN}/livelog.conf" DESTINATION "${etc}"
    FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
endif()
