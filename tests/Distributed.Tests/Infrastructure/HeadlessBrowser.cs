using PuppeteerSharp;

namespace DistTrain.Distributed.Tests.Infrastructure;

/// <summary>The system's Chromium, headless (Debian's package: .ci/run installs it), driven by PuppeteerSharp.</summary>
internal static class HeadlessBrowser
{
    public static string Executable =>
        Environment.GetEnvironmentVariable("CHROMIUM") is { Length: > 0 } path ? path
        : new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists)
          ?? throw new InvalidOperationException("no Chromium found: install Debian's chromium package (.ci/run does) or set CHROMIUM");

    public static Task<IBrowser> LaunchAsync() => Puppeteer.LaunchAsync(new LaunchOptions
    {
        ExecutablePath = Executable,
        Headless = true,
        // As root (CI containers) Chromium's sandbox cannot start; the pages are our own, on loopback.
        Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        DefaultViewport = new ViewPortOptions { Width = 1280, Height = 1000 },
    });
}
