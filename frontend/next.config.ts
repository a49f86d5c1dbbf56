import type { NextConfig } from "next";

// A static export: the API serves frontend/out at "/", or any static host does when the API lives elsewhere.
const nextConfig: NextConfig = {
  output: "export",
  reactStrictMode: true,
  poweredByHeader: false,
  images: { unoptimized: true },
  // A build with other NEXT_PUBLIC_* settings (the browser-telemetry test's) goes to its own folder.
  ...(process.env.NEXT_DIST_DIR ? { distDir: process.env.NEXT_DIST_DIR } : {}),
};

export default nextConfig;
