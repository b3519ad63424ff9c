#ifndef BOTSTATSD_CSYSTEMD_SHIM_H
#define BOTSTATSD_CSYSTEMD_SHIM_H
#include <systemd/sd-daemon.h>
#endif
