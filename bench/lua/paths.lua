-- paths.lua: replay request paths from a file, one per line, in order and
-- round-robin (bench/codes writes the file). Usage:
--   PATHS=/path/to/paths.txt wrk -s bench/lua/paths.lua ... http://127.0.0.1:PORT
-- (the file is named by an environment variable, so the script needs no
-- arguments after the URL; "wrk ... URL -- FILE" works too).
-- Headers given with -H (User-Agent) are sent with every request.
local paths = {}
local n = 0
local i = 0

function init(args)
  local file = args[1] or os.getenv("PATHS") or "paths.txt"
  for line in io.lines(file) do
    n = n + 1
    paths[n] = line
  end
  if n == 0 then
    error("paths.lua: no paths in " .. file)
  end
end

function request()
  i = i + 1
  if i > n then i = 1 end
  return wrk.format(nil, paths[i])
end
