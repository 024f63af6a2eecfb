# gems-from-debian.rb OUT PACKAGE...: a .gem for each Debian Ruby package, rebuilt from its installed files into
# OUT/gems. Debian installs a gem's files under /usr/share/rubygems-integration/all/gems/<name>-<version>/ (older
# packages: lib/ under /usr/lib/ruby/vendor_ruby) and its gemspec under rubygems-integration's specifications/.
require "rubygems/package"
require "fileutils"
require "tmpdir"

out = ARGV.shift
FileUtils.mkdir_p(File.join(out, "gems"))
ARGV.each do |pkg|
  files = `dpkg -L #{pkg}`.split("\n")
  spec_file = files.find { |f| f.end_with?(".gemspec") && f.include?("/specifications/") } or abort "#{pkg}: no gemspec"
  spec = Gem::Specification.load(spec_file)
  stage = Dir.mktmpdir
  gem_files = []
  files.each do |f|
    gem_dir = "/usr/share/rubygems-integration/all/gems/#{spec.full_name}/"
    rel = if f.start_with?(gem_dir) then f.delete_prefix(gem_dir)
          elsif f.start_with?("/usr/lib/ruby/vendor_ruby/") then "lib/" + f.delete_prefix("/usr/lib/ruby/vendor_ruby/")
          elsif f.start_with?("/usr/bin/") && spec.executables.include?(File.basename(f)) then "bin/" + File.basename(f)
          end
    next unless rel && File.file?(f) && !gem_files.include?(rel)
    FileUtils.mkdir_p(File.join(stage, File.dirname(rel)))
    FileUtils.cp(f, File.join(stage, rel))
    gem_files << rel
  end
  spec.files = gem_files.sort
  spec.date = Time.utc(2024, 1, 1)
  Dir.chdir(stage) { FileUtils.mv(Gem::Package.build(spec), File.join(out, "gems")) }
  puts "#{spec.full_name}.gem: #{gem_files.size} files"
end
