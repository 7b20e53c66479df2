// exec_image as a static program (ET_EXEC, no loader): the same checks.
// build: -static
// covers: execve
// area: processes and credentials
// usage: exec_image_static SCRATCH
#include "exec_image.c"
