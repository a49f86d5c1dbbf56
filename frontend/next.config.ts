import type { NextConfig } from "next";

// A static export: the API serves frontend/out at "/", or any static host does when the API lives elsewhere.
const nextConfig: NextConfig = {
  output: "export",
  reactStrictMode: true,
  poweredByHeader: false,
  images: { unoptimized: true },
};

export default nextConfig;
