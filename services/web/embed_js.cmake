# Writes OUT: a C file holding the agent console's script (console.js) as
# the string console_js, served at /agent/console.js. No build step beyond
# this copy: the file is the script as written.
file(READ ${JS} text)
string(REPLACE "\\" "\\\\" text "${text}")
string(REPLACE "\"" "\\\"" text "${text}")
string(REPLACE "\n" "\\n\"\n\"" text "${text}")
file(WRITE ${OUT}.tmp "/* Generated from services/web/console.js by embed_js.cmake. Do not edit. */\nconst char console_js[] = \"${text}\";\n")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.tmp ${OUT})
